# Roles the cluster, its nodes and two in-cluster controllers act as. Nodes get only what every
# node needs; anything a single workload needs goes to an IRSA role bound to one service account.
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

# The upstream policy of kubernetes-sigs/aws-load-balancer-controller (docs/install/iam_policy.json);
# refresh it whenever the controller chart version is raised in deploy.yml.
resource "aws_iam_policy" "load_balancer_controller" {
  #checkov:skip=CKV_AWS_355: upstream controller policy; Describe* and Create* cannot name ARNs that do not exist yet, mutations are conditioned on the elbv2.k8s.aws/cluster tag
  #checkov:skip=CKV_AWS_290: upstream controller policy; writes to load balancers and security groups are constrained by the elbv2.k8s.aws/cluster tag conditions
  #checkov:skip=CKV_AWS_289: upstream controller policy; the controller attaches WAF/Shield protection to the ALBs it owns
  name        = "${var.name}-aws-load-balancer-controller"
  description = "AWS Load Balancer Controller (upstream policy)"
  policy      = file("${path.module}/policies/aws-load-balancer-controller.json")
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "load_balancer_controller" {
  role       = aws_iam_role.load_balancer_controller.name
  policy_arn = aws_iam_policy.load_balancer_controller.arn
}

# --- IRSA: Elasticsearch snapshots to S3 -------------------------------------------------------

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
