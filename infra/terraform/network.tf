# A VPC of private subnets only: no internet gateway, no NAT. Redshift Serverless lives
# here without a public endpoint; with enhanced VPC routing its COPY and UNLOAD traffic
# goes through the S3 gateway endpoint, whose policy admits the lake and log buckets
# only. Spectrum's scans do not: AWS runs them outside the VPC (Redshift Management Guide,
# "Using Amazon Redshift Spectrum with enhanced VPC routing"); the Spectrum role's policy
# and trust are what limit them. The Glue catalog is reached through an interface
# endpoint. Clients placed here (the Airflow workers) join the warehouse-clients
# security group and reach the AWS APIs they call through the interface endpoints below;
# clients that need the internet (a self-hosted CI runner) stay outside and come in from
# warehouse_client_cidrs (a VPN or a peered network).

locals {
  # Interface endpoints, by service, and who calls it from inside the VPC. AWS does not say
  # whether the warehouse's Lambda UDF calls leave through the VPC under enhanced VPC
  # routing; if they do, they resolve to the lambda endpoint (there is no other route out).
  interface_endpoints = {
    glue                  = "Redshift Spectrum: the external schema's catalog"
    sts                   = "Airflow workers: assume the orchestrator role"
    "redshift-serverless" = "Airflow workers: GetCredentials, dbt's sign-in"
    monitoring            = "Airflow workers: publish the run metrics"
    sns                   = "Airflow workers: the DAG's failure alerts"
    secretsmanager        = "Pseudonym functions: read their keys" # pragma: allowlist secret
    lambda                = "Redshift Serverless: invoke the pseudonym functions"
  }
}

resource "aws_vpc" "warehouse" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # the interface endpoints' private DNS names need it

  tags = {
    Name = "${local.name}-warehouse"
  }
}

resource "aws_subnet" "private" {
  for_each = var.private_subnets

  vpc_id                  = aws_vpc.warehouse.id
  cidr_block              = each.value
  availability_zone       = "${local.region}${each.key}"
  map_public_ip_on_launch = false

  tags = {
    Name = "${local.name}-private-${local.region}${each.key}"
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.warehouse.id

  tags = {
    Name = "${local.name}-private"
  }
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

# No rules: nothing may use the default security group.
resource "aws_default_security_group" "warehouse" {
  vpc_id = aws_vpc.warehouse.id
}

resource "aws_flow_log" "warehouse" {
  vpc_id               = aws_vpc.warehouse.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "${aws_s3_bucket.logs.arn}/vpc-flow-logs/"

  depends_on = [aws_s3_bucket_policy.this["logs"]]
}

# --- Security groups --------------------------------------------------------------------

resource "aws_security_group" "warehouse" {
  name        = "${local.name}-warehouse"
  description = "Redshift Serverless workgroup: the warehouse port from its clients only"
  vpc_id      = aws_vpc.warehouse.id
}

resource "aws_security_group" "warehouse_clients" {
  #checkov:skip=CKV2_AWS_5:Attached outside this configuration, by whatever runs dbt (the Airflow workers, a self-hosted CI runner); membership is what opens the warehouse port.
  name        = "${local.name}-warehouse-clients"
  description = "Members may connect to the Redshift Serverless workgroup"
  vpc_id      = aws_vpc.warehouse.id
}

resource "aws_security_group" "pseudonymisers" {
  name        = "${local.name}-pseudonymisers"
  description = "Pseudonym functions: HTTPS to the interface endpoints only"
  vpc_id      = aws_vpc.warehouse.id
}

resource "aws_security_group" "endpoints" {
  name        = "${local.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from inside the VPC"
  vpc_id      = aws_vpc.warehouse.id
}

# Every rule is TCP to one port, from or to one peer: another group, the S3 prefix list or
# an address range. The provider has a resource type per direction.
locals {
  security_group_rules = merge(local.fixed_security_group_rules, {
    for cidr in var.warehouse_client_cidrs : "warehouse_from_${cidr}" => {
      direction = "ingress", group = aws_security_group.warehouse.id, port = local.redshift_port
      peer_cidr   = cidr
      description = "Redshift from ${cidr} (warehouse_client_cidrs)"
    }
  })
  fixed_security_group_rules = {
    warehouse_from_clients = {
      direction = "ingress", group = aws_security_group.warehouse.id, port = local.redshift_port
      peer_group  = aws_security_group.warehouse_clients.id
      description = "Redshift from members of the warehouse-clients group"
    }
    warehouse_to_s3 = {
      direction = "egress", group = aws_security_group.warehouse.id, port = 443
      peer_prefix_list = aws_vpc_endpoint.s3.prefix_list_id
      description      = "HTTPS to S3 through the gateway endpoint (COPY and UNLOAD, enhanced VPC routing)"
    }
    warehouse_to_endpoints = {
      direction = "egress", group = aws_security_group.warehouse.id, port = 443
      peer_group  = aws_security_group.endpoints.id
      description = "HTTPS to the interface endpoints (the Glue catalog)"
    }
    clients_to_warehouse = {
      direction = "egress", group = aws_security_group.warehouse_clients.id, port = local.redshift_port
      peer_group  = aws_security_group.warehouse.id
      description = "Redshift on the workgroup"
    }
    clients_to_endpoints = {
      direction = "egress", group = aws_security_group.warehouse_clients.id, port = 443
      peer_group  = aws_security_group.endpoints.id
      description = "HTTPS to the interface endpoints (STS, Redshift Serverless, CloudWatch, SNS)"
    }
    clients_to_s3 = {
      direction = "egress", group = aws_security_group.warehouse_clients.id, port = 443
      peer_prefix_list = aws_vpc_endpoint.s3.prefix_list_id
      description      = "HTTPS to S3 through the gateway endpoint (the delivery sensor, the dbt artifacts)"
    }
    pseudonymisers_to_endpoints = {
      direction = "egress", group = aws_security_group.pseudonymisers.id, port = 443
      peer_group  = aws_security_group.endpoints.id
      description = "HTTPS to the interface endpoints (Secrets Manager)"
    }
    endpoints_from_vpc = {
      direction = "ingress", group = aws_security_group.endpoints.id, port = 443
      peer_cidr   = aws_vpc.warehouse.cidr_block
      description = "HTTPS from inside the VPC"
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = { for name, rule in local.security_group_rules : name => rule if rule.direction == "ingress" }

  security_group_id            = each.value.group
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = try(each.value.peer_group, null)
  cidr_ipv4                    = try(each.value.peer_cidr, null)
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = { for name, rule in local.security_group_rules : name => rule if rule.direction == "egress" }

  security_group_id            = each.value.group
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = try(each.value.peer_group, null)
  prefix_list_id               = try(each.value.peer_prefix_list, null)
}

# --- VPC endpoints ----------------------------------------------------------------------

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.warehouse.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.s3_endpoint.json
}

# Everything in these subnets reaches S3 only through this endpoint (no other route out),
# so its policy is where copying data out stops: an UNLOAD, or a worker's upload, to any
# bucket but the lake fails whatever the caller's IAM policy says. What goes through it:
# the Airflow workers (delivery sensor, structure check, dbt artifacts, docs site: the
# lake) and the warehouse's COPY/UNLOAD (enhanced VPC routing). Nothing needs the log
# bucket's write path here (S3 and VPC flow logs are delivered by AWS from outside); it is
# readable for investigations from inside. AWS documents nothing else that Redshift
# Serverless or Glue fetch through a customer's S3 endpoint for this setup (Spectrum and
# the Glue catalog do not use it). Whoever runs the workers from a container registry
# (ECR) in these subnets adds that registry's layer bucket here.
locals {
  s3_endpoint_buckets = {
    lake = {
      sid = "TheLakeOnly"
      arn = aws_s3_bucket.lake.arn
      actions = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:ListBucket",
        "s3:GetBucketLocation",
      ]
    }
    logs = {
      sid     = "ReadTheLogs"
      arn     = aws_s3_bucket.logs.arn
      actions = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
    }
  }
}

data "aws_iam_policy_document" "s3_endpoint_bucket" {
  for_each = local.s3_endpoint_buckets

  statement {
    sid       = each.value.sid
    actions   = each.value.actions
    resources = [each.value.arn, "${each.value.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"] # gateway endpoint policies name no principal: the callers' IAM policies do
    }
    # A bucket name is global: the bucket must also be this account's.
    condition {
      test     = "StringEquals"
      variable = "s3:ResourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "s3_endpoint" {
  source_policy_documents = [for bucket in data.aws_iam_policy_document.s3_endpoint_bucket : bucket.json]
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = aws_vpc.warehouse.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [for subnet in aws_subnet.private : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true

  tags = {
    Name = "${local.name}-${each.key}"
    Use  = each.value
  }
}
