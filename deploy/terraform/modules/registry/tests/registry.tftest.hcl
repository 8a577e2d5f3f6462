# Offline plan against a mocked AWS provider: immutable tags, scan on push, KMS, safe lifecycle.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "petrel-test"
}

run "tags_are_immutable_and_pushes_scanned" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "image tags must be immutable"
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "every push must be scanned"
  }
}

run "encrypted_with_its_own_key" {
  command = apply # the key ARN is known after apply

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == module.key.arn
    error_message = "the repository must be encrypted with its own KMS key"
  }
}

run "lifecycle_never_expires_untagged_manifests" {
  command = plan

  assert {
    condition     = alltrue([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection.tagStatus == "tagged"])
    error_message = "lifecycle rules must select tagged artifacts only: untagged manifests may be the platform images of a live multi-arch release"
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 150
    error_message = "the newest 150 tagged artifacts must be kept by default"
  }
}

run "rejects_a_too_short_history" {
  command = plan

  variables {
    tagged_artifacts_to_keep = 5
  }

  expect_failures = [var.tagged_artifacts_to_keep]
}
