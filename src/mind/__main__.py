"""`python -I -m self_improving_agent.mind TREE`: the mind's process, talking over stdin/stdout."""

import sys

from self_improving_agent.mind.serve import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
