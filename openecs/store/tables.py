"""Every table of OpenECS, as SQLAlchemy Core metadata.

The schema itself is created and changed only by the Alembic migrations in
``migrations/versions``; this module describes it for queries. A test checks
that the two agree.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()


def scope_columns() -> list[Column]:
    """Whose a resource is: the cloud, the owning account and the region (fresh columns)."""
    return [
        Column("cloud", String(16), nullable=False),
        Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
        Column("region", String(32), nullable=False),
    ]


accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("access_key_id", String(64), nullable=False, unique=True),
    Column("access_key_secret", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
)

# One Huawei project per account and Huawei region: the id in every Huawei path.
huawei_projects = Table(
    "huawei_projects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("region", String(32), nullable=False),
    UniqueConstraint("account_id", "region", name="uq_huawei_projects_account_region"),
)

# Alibaba SignatureNonce values seen within their validity window (15 minutes).
# On PostgreSQL this table is the authority (its key refuses a second claim).
signature_nonces = Table(
    "signature_nonces",
    metadata,
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", Float, nullable=False),
    Index("ix_signature_nonces_expires_at", "expires_at"),
)

# On SQLite the server's memory is the authority and this log only lets a restart
# remember the nonces of the window: rows are appended in time order (a rowid table
# with a time index), which costs a third of inserting into a table keyed by the nonce.
signature_nonce_log = Table(
    "signature_nonce_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("nonce", String(128), nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_signature_nonce_log_expires_at", "expires_at"),
)

# The durable task engine's queue: one row per timed transition still to run.
tasks = Table(
    "tasks",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("ix_tasks_status_due_at", "status", "due_at"),
)

# Small named values the server keeps between starts (the engine clock's offset).
settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- the network substrate (migration 0002) ---------------------------------------------
# Rows of both clouds share these tables; ``cloud`` says whose ("aliyun" or "huawei"),
# ``extra`` keeps vendor-only attributes as JSON so the core needs no vendor columns.

vpcs = Table(
    "vpcs",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("cidr_block", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("is_default", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    Index("ix_vpcs_owner", "account_id", "cloud", "region"),
    # Migration 0006: the VPC's IPv6 /56 from OpenECS's pool; the unique index is what keeps
    # two VPCs (of any account, in any process) from ever drawing the same block.
    Column("ipv6_cidr_block", String(64)),
    Index("uq_vpcs_ipv6_cidr_block", "ipv6_cidr_block", unique=True),
)

# A vSwitch (Alibaba) or subnet (Huawei): a CIDR inside its VPC, in one zone.
subnets = Table(
    "subnets",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("vpc_id", String(64), ForeignKey("vpcs.id"), nullable=False),
    Column("zone_id", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("cidr_block", String(64), nullable=False),
    Column("gateway_ip", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    Index("ix_subnets_owner", "account_id", "cloud", "region"),
    Index("ix_subnets_vpc", "vpc_id"),
    # Migration 0006: the subnet's IPv6 /64, one of its VPC's /56 (unique like the /56 itself).
    Column("ipv6_cidr_block", String(64)),
    Index("uq_subnets_ipv6_cidr_block", "ipv6_cidr_block", unique=True),
)

# Every IPv4 address in use in a subnet: the primary key is the allocator's guarantee
# that no address is handed out twice, whichever process asks.
ip_allocations = Table(
    "ip_allocations",
    metadata,
    Column("subnet_id", String(64), ForeignKey("subnets.id"), primary_key=True),
    Column("address", BigInteger, primary_key=True, autoincrement=False),
    Column("owner_type", String(32), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Index("ix_ip_allocations_owner", "owner_type", "owner_id"),
)

# Each subnet's allocation cursor (migration 0008): every address below ``next_free`` is
# taken, so the lowest free one is searched from there. Triggers on ``ip_allocations`` keep
# it: claiming the cursor's address moves it up one, freeing an address below moves it down.
ip_cursors = Table(
    "ip_cursors",
    metadata,
    Column("subnet_id", String(64), ForeignKey("subnets.id"), primary_key=True),
    Column("next_free", BigInteger, nullable=False),
    # The subnet's allocations, reserved ones included (kept by triggers, migration 0009).
    Column("used", BigInteger, nullable=False, server_default="0"),
)

# Every IPv6 claim in a subnet (migration 0006): an address, or a /80 block (an interface's
# prefix, or a block of the /64 opened for single addresses), as canonical text. A /64 cannot
# be enumerated, so addresses are drawn at random; the primary key refuses a second claim of
# an address or a block, whichever process asks. Apart from ``ip_allocations``, so the IPv4
# counts (AvailableIpAddressCount) never see these rows.
ipv6_allocations = Table(
    "ipv6_allocations",
    metadata,
    Column("subnet_id", String(64), ForeignKey("subnets.id"), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("owner_type", String(32), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Index("ix_ipv6_allocations_owner", "owner_type", "owner_id"),
)

# -- security groups, network interfaces, tags, idempotency (migration 0003) ----------

security_groups = Table(
    "security_groups",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("vpc_id", String(64)),  # Alibaba groups belong to a VPC; Huawei groups to none
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("is_default", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    # The group's memberships (migration 0008), kept by triggers on interface_security_groups.
    Column("interface_count", Integer, nullable=False, server_default="0"),
    Index("ix_security_groups_owner", "account_id", "cloud", "region"),
    # At most one default group per scope, even when two first requests race to make it.
    Index(
        "uq_security_groups_default",
        "account_id",
        "cloud",
        "region",
        unique=True,
        sqlite_where=text("is_default = 1"),
        postgresql_where=text("is_default = 1"),
    ),
)

security_group_rules = Table(
    "security_group_rules",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("group_id", String(64), ForeignKey("security_groups.id"), nullable=False),
    Column("direction", String(16), nullable=False),  # ingress | egress
    Column("ethertype", String(8), nullable=False),  # IPv4 | IPv6
    Column(
        "protocol", String(16), nullable=False
    ),  # all | tcp | udp | icmp | icmpv6 | gre | a number
    Column("port_min", Integer),
    Column("port_max", Integer),
    Column("remote_cidr", String(64)),
    Column("remote_group_id", String(64)),
    Column("action", String(8), nullable=False),  # accept | drop
    Column("priority", Integer, nullable=False),
    Column("description", String(1024), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    Index("ix_security_group_rules_group", "group_id"),
)

# Elastic network interfaces (Alibaba) and ports (Huawei); an instance's primary NIC too.
network_interfaces = Table(
    "network_interfaces",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("vpc_id", String(64), nullable=False),
    Column("subnet_id", String(64), ForeignKey("subnets.id"), nullable=False),
    Column("zone_id", String(64), nullable=False),
    Column("mac_address", String(17), nullable=False, unique=True),
    Column("primary_ip", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("type", String(16), nullable=False),  # primary | secondary | trunk
    Column("device_id", String(64)),
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    Index("ix_network_interfaces_owner", "account_id", "cloud", "region"),
    Index("ix_network_interfaces_device", "device_id"),
    Index("ix_network_interfaces_subnet", "subnet_id"),
)

# Which security groups an interface is in (a group in use cannot be deleted).
interface_security_groups = Table(
    "interface_security_groups",
    metadata,
    Column("interface_id", String(64), ForeignKey("network_interfaces.id"), primary_key=True),
    Column("group_id", String(64), ForeignKey("security_groups.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_interface_security_groups_group", "group_id"),
)

# Tags of any resource, keyed by the resource's id (ids are unique across types).
tags = Table(
    "tags",
    metadata,
    Column("resource_id", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_tags_owner", "account_id", "resource_type"),
)

# Client tokens: the first answer to a token, kept so that a retry gets it again.
idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("scope", String(96), primary_key=True),  # cloud, region and operation
    Column("token", String(128), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# -- compute: key pairs, instances, disks, jobs (migration 0004) ---------------------

key_pairs = Table(
    "key_pairs",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("name", String(255), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    UniqueConstraint("account_id", "cloud", "region", "name", name="uq_key_pairs_name"),
)

# Instances (Alibaba) and servers (Huawei). ``status`` is the core's word; ``version``
# is bumped by every change, so a state change is a compare-and-swap on it.
# How many instances each scope holds (migration 0008), kept by triggers on ``instances``:
# an unfiltered listing's TotalCount reads one row instead of counting the fleet.
instance_counts = Table(
    "instance_counts",
    metadata,
    Column("account_id", Integer, primary_key=True),
    Column("cloud", String(16), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("instances", Integer, nullable=False),
)

instances = Table(
    "instances",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("zone_id", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("hostname", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("instance_type", String(64), nullable=False),
    Column("image_id", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("vpc_id", String(64), nullable=False),
    Column("subnet_id", String(64), nullable=False),
    Column("key_pair_name", String(255)),
    Column("password_hash", String(255)),
    Column("user_data", Text),
    Column("charge_type", String(32), nullable=False),
    Column("deletion_protection", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("expires_at", Float),
    Column("auto_release_at", Float),
    Column("version", Integer, nullable=False),
    Column("extra", Text, nullable=False),
    # In the order every listing pages in (migration 0007): a page is read from the index.
    Index("ix_instances_owner_order", "account_id", "cloud", "region", "created_at", "id"),
)

disks = Table(
    "disks",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("zone_id", String(64), nullable=False),
    Column("instance_id", String(64)),
    Column("type", String(16), nullable=False),  # system | data
    Column("category", String(64), nullable=False),  # cloud_essd, SSD, GPSSD ...
    Column("size", Integer, nullable=False),  # GiB
    Column("device", String(64)),
    Column("delete_with_instance", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    Index("ix_disks_owner", "account_id", "cloud", "region"),
    Index("ix_disks_instance", "instance_id"),
)

# Huawei asynchronous jobs and their sub-jobs (one per server of a batch).
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("region", String(32), nullable=False),
    Column("parent_id", String(64)),
    Column("job_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # INIT | RUNNING | SUCCESS | FAIL
    Column("entities", Text, nullable=False),
    Column("error_code", String(64)),
    Column("fail_reason", Text),
    Column("begin_time", Float, nullable=False),
    Column("end_time", Float),
    Index("ix_jobs_parent", "parent_id"),
)

# -- launch templates and their versions (migration 0005) ---------------------------

# A template's name is unique in its scope (the unique constraint is the guarantee, whichever
# process asks). ``last_number`` is the highest version number ever given: a new version
# takes the next one by a compare-and-swap on it, so two clients never get the same number
# and a number is never reused after its version is deleted.
launch_templates = Table(
    "launch_templates",
    metadata,
    Column("id", String(64), primary_key=True),
    *scope_columns(),
    Column("name", String(255), nullable=False),
    Column("description", String(1024), nullable=False),
    Column("default_version", Integer, nullable=False),
    Column("last_number", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("extra", Text, nullable=False),
    UniqueConstraint("account_id", "cloud", "region", "name", name="uq_launch_templates_name"),
)

# A version's ``data`` is the vendor's launch data as given (JSON), immutable once written.
launch_template_versions = Table(
    "launch_template_versions",
    metadata,
    Column("template_id", String(64), ForeignKey("launch_templates.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False, unique=True),
    Column("description", String(1024), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
