# SPDX-License-Identifier: BSD-3-Clause
# Provider-free: the address plan and the checks of the network module, testable offline.
terraform {
  required_version = ">= 1.9"
}
