import os
import sys

import pytest

import sfd


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_runtime():
    parent = sfd.Studio(storage="memory://", llm="simulated")
    assert len(parent.generate("before the fork, 1 episode")["episodes"]) == 1
    pid = os.fork()
    if pid == 0:  # the child: the parent's runtime threads do not exist here
        code = 1
        try:
            child = sfd.Studio(storage="memory://", llm="simulated")
            code = 0 if len(child.generate("in the child, 1 episode")["episodes"]) == 1 else 2
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    # The parent still works after the fork.
    assert len(parent.generate("after the fork, 1 episode")["episodes"]) == 1
