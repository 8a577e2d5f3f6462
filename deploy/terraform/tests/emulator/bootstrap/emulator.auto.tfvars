# The bootstrap's required inputs, for the emulator stage only.
github_owner = "petrel-sre"
github_repo  = "petrel"
