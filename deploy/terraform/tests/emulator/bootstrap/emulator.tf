# Emulator stage only (copied next to bootstrap/*.tf in a temporary copy, with
# ../provider_override.tf).

variable "emulator_endpoint" {
  description = "URL of the AWS API emulator: http://127.0.0.1:<port>."
  type        = string
}

output "emulator_excluded" {
  description = "Resource instances the emulator cannot serve and the overrides leave out: none in the bootstrap."
  value       = {}
}
