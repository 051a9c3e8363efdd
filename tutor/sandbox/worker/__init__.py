"""The worker side of the sandbox: runs learner code next to torch. Standard library, numpy, torch."""
