# Change test (emulator stage, prod): another node instance type. The sizes repeat
# prod/terraform.tfvars (node_group is one variable), so that the type is all that changes.
node_group = { min_size = 3, desired_size = 3, max_size = 6, instance_types = ["m6i.large"] }
