"""The Huawei Cloud face: the REST wire of ECS, VPC, IMS and IAM's project lookup."""
