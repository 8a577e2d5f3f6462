# Emulator stage only: the state of an emulated environment stays in its temporary directory.
# (The S3 backend itself, with the environment's state key, is tested on its own against the
# emulated state bucket: see scripts/check-terraform.sh.)
terraform {
  backend "local" {}
}
