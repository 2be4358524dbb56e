# SPDX-License-Identifier: BSD-3-Clause
# Provider-free: slot placement, instance-type and access checks of the exit-node module, testable offline.
terraform {
  required_version = ">= 1.9"
}
