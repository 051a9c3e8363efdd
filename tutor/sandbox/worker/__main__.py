import sys

from tutor.sandbox.worker.main import main

sys.exit(main(sys.argv[1:]))
