"""The Alibaba Cloud face: the RPC wire of ECS 2014-05-26 and VPC 2016-04-28."""
