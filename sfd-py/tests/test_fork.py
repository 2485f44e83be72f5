import asyncio
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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_async_calls_in_a_forked_child_resolve(server_url):
    parent = sfd.Studio(storage="memory://", llm="simulated")
    assert len(asyncio.run(parent.generate_async("before the fork, 1 episode"))["episodes"]) == 1
    pid = os.fork()
    if pid == 0:  # the child: awaitables must run on the child's own runtime
        code = 1
        try:

            async def in_child():
                studio = sfd.Studio(storage="memory://", llm="simulated")
                local = await studio.generate_async("in the child, 1 episode")
                remote = await sfd.Client(server_url).generate_async("remote, from the child", episodes=1)
                return len(local["episodes"]) + len(remote["episodes"])

            # A hang fails the child instead of the whole test run.
            code = 0 if asyncio.run(asyncio.wait_for(in_child(), 120)) == 2 else 2
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert len(asyncio.run(parent.generate_async("after the fork, 1 episode"))["episodes"]) == 1
