# Emulator stage only: merged into a temporary copy of modules/kms-key.
resource "aws_kms_key" "this" {
  lifecycle {
    # Read-back gap: GetKeyRotationStatus in moto 5.2.5 returns no RotationPeriodInDays, which
    # reads as 0 and would show as a change to 365 on every plan.
    ignore_changes = [rotation_period_in_days]
  }
}
