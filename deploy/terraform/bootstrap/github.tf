# GitHub Actions federation (no stored AWS keys). Each role trusts one repository and exactly the
# token subjects of the jobs meant to use it; the roles and the GitHub variables that hold their
# ARNs are listed in docs/pipelines.md:
#   plan-<env>       pull requests and main         read-only, for terraform plan -lock=false
#                    (prod: main and the prod GitHub environment only, never a pull request)
#   terraform-<env>  the <env> GitHub environment   applies the environment's Terraform
#   deploy-<env>     the <env> GitHub environment   reads Terraform outputs, copies the release
#                                                   image, runs helm (cluster admin access entry)
#   release          tags v*                        pushes and signs images in the release repository

locals {
  github_issuer         = "token.actions.githubusercontent.com"
  github_oidc_provider  = var.existing_github_oidc_provider_arn != null ? var.existing_github_oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn
  repository            = "${var.github_owner}/${var.github_repo}"
  arn                   = "arn:${data.aws_partition.current.partition}"
  managed_policy_prefix = "${local.arn}:iam::aws:policy"
  ecr_repository_prefix = "${local.arn}:ecr:${var.region}:${local.account}:repository"

  audience = { "${local.github_issuer}:aud" = "sts.amazonaws.com" }

  # Each environment's state key (main.tf). A map of plain values: checkov cannot resolve
  # module.state_key[each.key] and would skip the policies that name it.
  state_key_arns = { for env, key in module.state_key : env => key.arn }

  # The token subjects each role accepts. Any pull request of the repository (any branch, any
  # author with write access) gets the pull_request subject, so prod's plan role does not accept
  # it: prod's state, and what a plan can read with that role, stay out of unreviewed code's reach.
  plan_subjects = {
    for env in var.environments : env => env == "prod" ? [
      "repo:${local.repository}:ref:refs/heads/main", "repo:${local.repository}:environment:${env}",
      ] : [
      "repo:${local.repository}:pull_request", "repo:${local.repository}:ref:refs/heads/main",
    ]
  }
  exact_subjects = merge(
    { for env in var.environments : "plan-${env}" => local.plan_subjects[env] },
    { for env in var.environments : "terraform-${env}" => ["repo:${local.repository}:environment:${env}"] },
    { for env in var.environments : "deploy-${env}" => ["repo:${local.repository}:environment:${env}"] },
  )
  trust_conditions = merge(
    { for role, subjects in local.exact_subjects : role => {
      StringEquals = merge(local.audience, { "${local.github_issuer}:sub" = subjects })
    } },
    { release = {
      StringEquals = local.audience
      StringLike   = { "${local.github_issuer}:sub" = ["repo:${local.repository}:ref:refs/tags/v*"] }
    } },
  )

  ecr_push = [
    "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
    "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
  ]
  ecr_pull = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"]
  # Registry login; the action has no resource to scope it to.
  ecr_login = { Sid = "EcrLogin", Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }
}

# One per account; reuse an existing one with var.existing_github_oidc_provider_arn. No
# thumbprint: IAM verifies GitHub's certificate against its trusted CA library.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.existing_github_oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.github_issuer}"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "github" {
  for_each = local.trust_conditions

  name                 = "${local.project}-${each.key}"
  description          = "GitHub Actions of ${local.repository} (docs/pipelines.md)"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.github_oidc_provider }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = each.value
    }]
  })
}

# --- plan: read-only ------------------------------------------------------------------------------

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  for_each = toset(var.environments)

  role       = aws_iam_role.github["plan-${each.key}"].name
  policy_arn = "${local.managed_policy_prefix}/ReadOnlyAccess"
}

# ReadOnlyAccess cannot decrypt, and the environment's state key encrypts the state the plan
# reads: this key, and no other environment's.
resource "aws_iam_role_policy" "plan_state" {
  for_each = toset(var.environments)

  name = "decrypt-terraform-state"
  role = aws_iam_role.github["plan-${each.key}"].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "DecryptState", Effect = "Allow", Action = "kms:Decrypt", Resource = local.state_key_arns[each.key] }]
  })
}

# --- terraform: applies one environment -------------------------------------------------------------

# Everything except IAM, Organizations and account settings: the environment's VPC, EKS, KMS,
# logs, ECR, S3 and its state.
resource "aws_iam_role_policy_attachment" "terraform_power_user" {
  for_each = toset(var.environments)

  role       = aws_iam_role.github["terraform-${each.key}"].name
  policy_arn = "${local.managed_policy_prefix}/PowerUserAccess"
}

# IAM limited to the environment's own names (petrel-<env>-*) and the clusters' OIDC providers.
# Whoever may create roles can grant them anything, so this role is as strong as an administrator
# of the environment: its trust policy and the GitHub environment's rules are what guard it.
resource "aws_iam_role_policy" "terraform_iam" {
  #checkov:skip=CKV_AWS_355: iam:Get*/List* read metadata only and cannot be scoped: Terraform refreshes roles, policies and providers by listing them
  for_each = toset(var.environments)

  name = "manage-${local.project}-${each.key}-iam"
  role = aws_iam_role.github["terraform-${each.key}"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "ReadIam", Effect = "Allow", Action = ["iam:Get*", "iam:List*"], Resource = "*" },
      {
        Sid    = "ManageEnvironmentRolesAndPolicies"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
          "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
          "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
        ]
        Resource = [
          "${local.arn}:iam::${local.account}:role/${local.project}-${each.key}-*",
          "${local.arn}:iam::${local.account}:policy/${local.project}-${each.key}-*",
        ]
      },
      {
        Sid       = "PassEnvironmentRolesToEksAndFlowLogs"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = "${local.arn}:iam::${local.account}:role/${local.project}-${each.key}-*"
        Condition = { StringEquals = { "iam:PassedToService" = ["eks.amazonaws.com", "vpc-flow-logs.amazonaws.com"] } }
      },
      {
        Sid    = "ManageClusterOidcProviders"
        Effect = "Allow"
        Action = [
          "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
          "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
          "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
        ]
        Resource = "${local.arn}:iam::${local.account}:oidc-provider/oidc.eks.${var.region}.amazonaws.com/id/*"
      },
    ]
  })
}

# --- deploy: promotes a release into one environment ------------------------------------------------

resource "aws_iam_role_policy" "deploy" {
  for_each = toset(var.environments)

  name = "deploy-${local.project}-${each.key}"
  role = aws_iam_role.github["deploy-${each.key}"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "FindTheStateObject"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = module.state_bucket.arn
      },
      {
        Sid      = "ReadTheEnvironmentsOutputs"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${module.state_bucket.arn}/env/${each.key}/terraform.tfstate"
      },
      { Sid = "DecryptState", Effect = "Allow", Action = "kms:Decrypt", Resource = local.state_key_arns[each.key] },
      {
        Sid      = "WriteKubeconfig"
        Effect   = "Allow"
        Action   = "eks:DescribeCluster"
        Resource = "${local.arn}:eks:${var.region}:${local.account}:cluster/${local.project}-${each.key}"
      },
      local.ecr_login,
      { Sid = "PullReleases", Effect = "Allow", Action = local.ecr_pull, Resource = "${local.ecr_repository_prefix}/${var.release_repository}" },
      { Sid = "CopyIntoTheEnvironmentsRepository", Effect = "Allow", Action = local.ecr_push, Resource = "${local.ecr_repository_prefix}/${local.project}-${each.key}" },
    ]
  })
}

# --- release: pushes and signs images --------------------------------------------------------------

resource "aws_iam_role_policy" "release" {
  name = "push-releases"
  role = aws_iam_role.github["release"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.ecr_login,
      { Sid = "PushReleases", Effect = "Allow", Action = local.ecr_push, Resource = "${local.ecr_repository_prefix}/${var.release_repository}" },
    ]
  })
}
