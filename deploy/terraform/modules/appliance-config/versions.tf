# SPDX-License-Identifier: BSD-3-Clause
# Provider-free: this module only computes text, so `terraform test` runs it offline.
terraform {
  # Validation conditions that refer to other variables need 1.9.
  required_version = ">= 1.9"
}
