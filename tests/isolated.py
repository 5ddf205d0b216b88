"""Running a snippet of Python in a child process, for the reliability suites (issue 10): a
hang there is a timeout and a crash an exit status, where in the pytest process either would end
the whole run."""

import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Outcome:
    returncode: int | None     # None: killed at the timeout
    stdout: str
    stderr: str

    @property
    def hung(self):
        return self.returncode is None

    @property
    def crashed(self):
        # A negative status is a signal (SIGSEGV, SIGABRT, ...): the child died, raised nothing.
        return self.returncode is not None and self.returncode < 0


def run_isolated(code, timeout, env=None):
    """Run `code` with this interpreter, capturing its output; a child still running after
    `timeout` seconds is killed, and what it printed until then is kept. -P: the working
    directory stays off the child's path, where a checkout's source tree (no built modules)
    would shadow the installed lamina."""
    try:
        done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        return Outcome(None, _text(e.stdout), _text(e.stderr))
    return Outcome(done.returncode, done.stdout, done.stderr)


def _text(b):
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b
