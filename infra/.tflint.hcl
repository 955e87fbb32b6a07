# tflint configuration for infra/: only the rules bundled with tflint (the
# terraform ruleset, which needs no `tflint --init` download). The azurerm
# ruleset would have to be downloaded from GitHub releases, which CI here
# cannot reach; `tofu validate` against the real provider covers schema errors.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# The root module is split one file per resource family (storage.tf,
# cosmos.tf, ...) rather than main.tf; variables.tf and outputs.tf exist.
rule "terraform_standard_module_structure" {
  enabled = false
}
