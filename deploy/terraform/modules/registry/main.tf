# The environment's image repository. Tags are immutable, so a tag names one digest forever and
# a deploy by tag is as reproducible as a deploy by digest; every push is scanned.

module "key" {
  source = "../kms-key"

  alias       = "${var.name}/ecr"
  description = "ECR repository ${var.name}"
  tags        = var.tags
}

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.key.arn
  }

  tags = var.tags
}

# Keeps the newest tagged artifacts (images, and the cosign signatures and attestations tagged
# sha256-<digest>.sig/.att). Untagged manifests are never expired: the per-platform images of a
# multi-arch release are untagged children of its index, and expiring them breaks the release.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.tagged_artifacts_to_keep} tagged artifacts"
      selection = {
        tagStatus      = "tagged"
        tagPatternList = ["*"]
        countType      = "imageCountMoreThan"
        countNumber    = var.tagged_artifacts_to_keep
      }
      action = { type = "expire" }
    }]
  })
}
