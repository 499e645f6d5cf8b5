"""OpenECS: a self-hosted ECS control plane speaking the Alibaba Cloud and Huawei Cloud APIs."""

__version__ = "0.1.0"
