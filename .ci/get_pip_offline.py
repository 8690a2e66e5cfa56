"""Offline stand-in for ansible-test's pip bootstrap script (get-pip-<version>.py).

ansible-test downloads https://ci-files.testing.ansible.com/ansible-test/get-pip-<ver>.py
into ~/.ansible/test/cache/get_pip_<ver>.py to put pip into the empty venvs it creates for
the sanity tests. That host is unreachable from our machines, so .ci/install copies this file
to that cache path. It bootstraps pip from the interpreter's bundled wheel (ensurepip, run as
a subprocess so that it does not blank pip's configuration - /etc/pip.conf supplies the CA
bundle) and then lets pip install the requested version from the package index.
"""

import subprocess
import sys


def main():
    """Bootstrap pip, then install the pip version (and any other arguments) requested."""
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    return subprocess.call([sys.executable, '-m', 'pip', 'install', '--upgrade'] + args)


if __name__ == '__main__':
    sys.exit(main())
