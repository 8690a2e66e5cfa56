# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every module (argument spec: _module.CONNECTION_SPEC)."""

    DOCUMENTATION = r'''
options:
  vendor:
    description:
      - The CI/CD service that runs the pipeline.
      - Set it once for all modules with O(ignore:module_defaults) and the action group
        C(group/cicd.pipelines.pipelines).
    type: str
    required: true
    choices: [jenkins]
  api_url:
    description:
      - Base URL of the service's API.
      - For B(Jenkins), the Jenkins root URL including any context path, for example C(https://ci.example.com/jenkins).
        Every request is built from this URL, never from URLs Jenkins returns, so a Jenkins behind a proxy with a
        wrong root URL still works.
      - If not set, the environment variable E(JENKINS_URL) is used (B(Jenkins)).
    type: str
  username:
    description:
      - User name for B(Jenkins) (with O(api_token) or O(password)).
      - If not set, the environment variable E(JENKINS_USER_ID) is used, as the Jenkins CLI does.
    type: str
  api_token:
    description:
      - API token. For B(Jenkins), a user API token; requests made with it need no CSRF crumb.
      - If not set, the environment variable E(JENKINS_API_TOKEN) is used (B(Jenkins)).
      - Never shown in results, warnings or logs.
    type: str
  password:
    description:
      - For B(Jenkins), password of O(username), used instead of O(api_token). The module then fetches a CSRF crumb and keeps
        the session cookie it is bound to. Prefer O(api_token).
      - Mutually exclusive with O(api_token).
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only set to V(false) on a trusted network with self-signed certificates.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to verify the server's certificate with.
    type: path
  request_timeout:
    description:
      - Seconds to wait for each HTTP response. Different from O(wait_timeout), which bounds a whole wait.
    type: float
    default: 30
  request_retries:
    description:
      - How many times a request is retried after HTTP 429 (honouring C(Retry-After)), and, for requests that are
        safe to repeat, after HTTP 5xx or a connection error.
      - Requests that start, approve or retry something are never repeated blindly; when their outcome is unknown the
        module looks the result up before deciding.
    type: int
    default: 5
notes:
  - Connection options can come from O(ignore:module_defaults) for the group C(group/cicd.pipelines.pipelines), from the
    task, or from the vendor's own environment variables (checked last, only for the chosen O(vendor)).
  - Giving an option that the chosen O(vendor) does not use is an error, so a typo in a vendor switch is caught.
requirements:
  - requests
'''
