# Roles the cluster, its nodes and the in-cluster components that call AWS act as. Nodes get only
# what every node needs; anything one workload needs goes to an IRSA role bound to its service account.
# Policies are jsonencode()d rather than aws_iam_policy_document data sources so that the offline
# tests (mocked provider) can read and assert the real documents.

data "aws_partition" "current" {}

locals {
  managed = "arn:${data.aws_partition.current.partition}:iam::aws:policy"

  service_trust = {
    for key, service in { cluster = "eks.amazonaws.com", node = "ec2.amazonaws.com" } : key => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = service }
        # EKS tags its sessions; EC2 does not need to.
        Action = key == "cluster" ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"]
      }]
    })
  }

  # IRSA: the role is assumable only by the one service account's projected token, for STS.
  irsa_trust = {
    for key, sa in {
      load_balancer_controller = var.load_balancer_controller_service_account
      snapshots                = var.snapshot_service_account
      ebs_csi_driver           = "kube-system/ebs-csi-controller-sa" # fixed by the EKS add-on
      } : key => jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = { Federated = var.oidc_provider_arn }
          Action    = "sts:AssumeRoleWithWebIdentity"
          Condition = {
            StringEquals = {
              "${var.oidc_issuer}:sub" = "system:serviceaccount:${replace(sa, "/", ":")}"
              "${var.oidc_issuer}:aud" = "sts.amazonaws.com"
            }
          }
        }]
    })
  }
}

# --- EKS control plane and managed node group --------------------------------------------------

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-eks-cluster"
  assume_role_policy = local.service_trust["cluster"]
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "${local.managed}/AmazonEKSClusterPolicy"
}

resource "aws_iam_role" "node" {
  name               = "${var.name}-eks-node"
  assume_role_policy = local.service_trust["node"]
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",               # the vpc-cni add-on runs with the node's identity
    "AmazonEC2ContainerRegistryReadOnly", # pull the Petrel image from ECR
    "AmazonSSMManagedInstanceCore",       # shell access through SSM Session Manager; no SSH keys exist
  ])

  role       = aws_iam_role.node.name
  policy_arn = "${local.managed}/${each.value}"
}

# --- IRSA: AWS Load Balancer Controller --------------------------------------------------------

resource "aws_iam_role" "load_balancer_controller" {
  name               = "${var.name}-aws-load-balancer-controller"
  assume_role_policy = local.irsa_trust["load_balancer_controller"]
  tags               = var.tags
}

# The upstream policy of kubernetes-sigs/aws-load-balancer-controller, docs/install/iam_policy.json
# as published with the v2.13 releases (the newest that could be read when this was written),
# statement for statement; only whitespace differs. It must match the controller release the
# deploy pipeline installs (LBC_CHART_VERSION in .github/workflows/deploy-environment.yml):
# compare it with that release's file whenever either changes. checkov cannot read a policy
# loaded with file(); tests/iam.tftest.hcl asserts what matters in it.
resource "aws_iam_policy" "load_balancer_controller" {
  name        = "${var.name}-aws-load-balancer-controller"
  description = "AWS Load Balancer Controller (upstream policy)"
  policy      = file("${path.module}/policies/aws-load-balancer-controller.json")
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "load_balancer_controller" {
  role       = aws_iam_role.load_balancer_controller.name
  policy_arn = aws_iam_policy.load_balancer_controller.arn
}

# --- IRSA: EBS CSI driver (the add-on that provisions the Elasticsearch and Redis volumes) -------

resource "aws_iam_role" "ebs_csi_driver" {
  name               = "${var.name}-ebs-csi-driver"
  assume_role_policy = local.irsa_trust["ebs_csi_driver"]
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "ebs_csi_driver" {
  role       = aws_iam_role.ebs_csi_driver.name
  policy_arn = "${local.managed}/service-role/AmazonEBSCSIDriverPolicy"
}

# --- IRSA: Elasticsearch snapshots to S3 -------------------------------------------------------
# The Elasticsearch nodes themselves read and write an S3 snapshot repository, so the role is
# bound to the Elasticsearch pods' service account, not to the job that triggers snapshots.

resource "aws_iam_role" "snapshots" {
  name               = "${var.name}-elasticsearch-snapshots"
  assume_role_policy = local.irsa_trust["snapshots"]
  tags               = var.tags
}

# Exactly what the repository-s3 plugin needs on one bucket, and that bucket's key.
resource "aws_iam_role_policy" "snapshots" {
  name = "elasticsearch-snapshots"
  role = aws_iam_role.snapshots.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListTheBucket"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"]
        Resource = var.snapshot_bucket_arn
      },
      {
        Sid      = "ReadWriteSnapshots"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = "${var.snapshot_bucket_arn}/*"
      },
      {
        Sid      = "UseTheBucketKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.snapshot_kms_key_arn
      },
    ]
  })
}
