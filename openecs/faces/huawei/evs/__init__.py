"""Huawei EVS (Elastic Volume Service): the volumes of the project's servers."""
