# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every module (argument spec: the option table, _options.py;
    a unit test keeps this text in step with it)."""

    DOCUMENTATION = r'''
options:
  vendor:
    description:
      - The CI/CD service that runs the pipeline.
      - Set it once for all modules with O(ignore:module_defaults) and the action group
        C(group/cicd.pipelines.pipelines), or per task when one play talks to several vendors (see O(connections)).
      - May be left out when O(ignore:execution) is given, since the execution record names its vendor.
      - V(jenkins) is Jenkins; V(harness) is Harness FirstGen (CurrentGen) through its GraphQL API; V(buddy) is
        Buddy.Works (cloud or self-hosted); V(codearts) is Huawei Cloud CodeArts Pipeline (the v5 API).
    type: str
    choices: [buddy, codearts, harness, jenkins]
  api_url:
    description:
      - Base URL of the service's API. Vendors with a SaaS default or a region table need it only for other
        installations.
      - For B(Jenkins), the Jenkins root URL including any context path, for example C(https://ci.example.com/jenkins).
        Every request is built from this URL, never from URLs Jenkins returns, so a Jenkins behind a proxy with a
        wrong root URL still works. Required. If not set, the environment variable E(JENKINS_URL) is used.
      - For B(Harness), the FirstGen gateway URL; default C(https://app.harness.io/gateway) (SaaS). For an on-prem
        installation, its URL without C(/api), for example C(https://harness.example.com). If not set, the environment
        variable E(HARNESS_ENDPOINT) is used.
      - For B(Buddy), the API URL; default C(https://api.buddy.works) (the US cloud). The EU cloud is
        C(https://api.eu.buddy.works); self-hosted Buddy is C(https://HOST/api). If not set, the environment variable
        E(BUDDY_API_ENDPOINT) is used.
      - For B(CodeArts), the CodeArts Pipeline endpoint; default from O(region) (the Huawei Cloud SDK's region table,
        for example C(https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com)).
    type: str
  username:
    description:
      - User name for B(Jenkins) (with O(api_token) or O(password)). If not set, the environment variable
        E(JENKINS_USER_ID) is used, as the Jenkins CLI does.
      - For B(CodeArts), the IAM user whose token is fetched with O(password).
    type: str
  api_token:
    description:
      - API token. For B(Jenkins), a user API token; requests made with it need no CSRF crumb. If not set, the
        environment variable E(JENKINS_API_TOKEN) is used.
      - For B(Harness), the API key (sent as C(X-Api-Key)); environment variable E(HARNESS_API_KEY).
      - For B(Buddy), a personal access token (sent as a bearer token) with the scopes C(EXECUTION_INFO),
        C(VARIABLE_INFO) (to check parameters and recognise encrypted variables) and, to run, approve, retry or stop,
        C(EXECUTION_RUN); environment variable E(BUDDY_TOKEN).
      - For B(CodeArts), an IAM token (sent as C(X-Auth-Token)), instead of O(access_key) and O(secret_key).
      - Never shown in results, warnings or logs.
    type: str
  password:
    description:
      - For B(Jenkins), password of O(username), used instead of O(api_token). The module then fetches a CSRF crumb and keeps
        the session cookie it is bound to. Prefer O(api_token).
      - For B(CodeArts), the IAM password of O(username).
      - Never shown in results, warnings or logs.
    type: str
  account_id:
    description:
      - For B(Harness), the account id (the C(accountId) of every API call). If not set, the environment variable
        E(HARNESS_ACCOUNT_ID) is used. Required by Harness.
    type: str
  calls_per_minute:
    description:
      - For B(Harness), how many API calls per minute this task may make; requests are paced to stay under it.
        Harness SaaS allows 30 GraphQL calls per minute per account, shared by everything that uses the account.
      - Default V(30) when O(api_url) is a C(harness.io) host, else no pacing (on-prem installations have no such
        limit). V(0) turns pacing off. An HTTP 429 is always waited out with backoff and jitter.
    type: int
  workspace:
    description:
      - For B(Buddy), the workspace URL handle. If not set, the environment variable E(BUDDY_WORKSPACE) is used, as bdy
        does. Required by Buddy.
    type: str
  project:
    description:
      - For B(Buddy), the project name. If not set, the environment variable E(BUDDY_PROJECT) is used, as bdy does.
        Required by Buddy.
    type: str
  region:
    description:
      - For B(CodeArts), the Huawei Cloud region, for example C(cn-north-4); it selects the endpoint unless O(api_url)
        is given. If not set, the environment variable E(HW_REGION_NAME) is used.
    type: str
  project_id:
    description:
      - For B(CodeArts), the CodeArts project id (32 characters, part of every pipeline URL). This is not the IAM
        project id that E(HUAWEICLOUD_SDK_PROJECT_ID) holds, so no environment variable is read for it. Required by
        CodeArts.
    type: str
  domain:
    description:
      - For B(CodeArts), the IAM domain (account) name of O(username), when an IAM token is fetched with O(password);
        default O(username) (an account's own IAM user).
    type: str
  iam_url:
    description:
      - For B(CodeArts), the IAM endpoint a token is fetched from with O(username) and O(password); default
        C(https://iam.REGION.myhuaweicloud.com). If not set, the environment variable E(HUAWEICLOUD_SDK_IAM_ENDPOINT) is
        used, as the Huawei Cloud SDK does.
    type: str
  access_key:
    description:
      - For B(CodeArts), the access key (AK) requests are signed with. If not set, the environment variable
        E(HUAWEICLOUD_SDK_AK) is used, as the Huawei Cloud SDK does.
    type: str
  secret_key:
    description:
      - For B(CodeArts), the secret key (SK) of O(access_key). If not set, the environment variable
        E(HUAWEICLOUD_SDK_SK) is used. Never shown in results, warnings or logs.
    type: str
  security_token:
    description:
      - For B(CodeArts), the security token of a temporary O(access_key) / O(secret_key) pair. If not set, the
        environment variable E(HUAWEICLOUD_SDK_SECURITY_TOKEN) is used. Never shown in results, warnings or logs.
    type: str
  connections:
    description:
      - Connection settings of several vendors at once, keyed by vendor, typically in O(ignore:module_defaults) for the
        group C(group/cicd.pipelines.pipelines). Each task then names only O(vendor) (or passes an execution record),
        and M(cicd.pipelines.pipeline_info) reads O(ignore:executions) of several vendors in one task, each through its
        own connection.
      - Each entry takes the connection options its vendor uses, with the same meaning as the top-level options.
        Top-level options win over the entry of the task's own O(vendor) and apply to that vendor only; environment
        variables fill in what neither sets.
    type: dict
    suboptions:
      jenkins:
        description:
          - Settings for B(Jenkins).
        type: dict
        suboptions:
          api_url:
            description: As O(api_url).
            type: str
          username:
            description: As O(username).
            type: str
          api_token:
            description: As O(api_token). Never shown in results, warnings or logs.
            type: str
          password:
            description: As O(password). Never shown in results, warnings or logs.
            type: str
          validate_certs:
            description: As O(validate_certs).
            type: bool
          ca_path:
            description: As O(ca_path).
            type: path
          request_timeout:
            description: As O(request_timeout).
            type: float
          request_retries:
            description: As O(request_retries).
            type: int
      buddy:
        description:
          - Settings for B(Buddy).
        type: dict
        suboptions:
          api_url:
            description: As O(api_url).
            type: str
          api_token:
            description: As O(api_token). Never shown in results, warnings or logs.
            type: str
          workspace:
            description: As O(workspace).
            type: str
          project:
            description: As O(project).
            type: str
          validate_certs:
            description: As O(validate_certs).
            type: bool
          ca_path:
            description: As O(ca_path).
            type: path
          request_timeout:
            description: As O(request_timeout).
            type: float
          request_retries:
            description: As O(request_retries).
            type: int
      codearts:
        description:
          - Settings for B(CodeArts).
        type: dict
        suboptions:
          api_url:
            description: As O(api_url).
            type: str
          region:
            description: As O(region).
            type: str
          project_id:
            description: As O(project_id).
            type: str
          access_key:
            description: As O(access_key).
            type: str
          secret_key:
            description: As O(secret_key). Never shown in results, warnings or logs.
            type: str
          security_token:
            description: As O(security_token). Never shown in results, warnings or logs.
            type: str
          api_token:
            description: As O(api_token). Never shown in results, warnings or logs.
            type: str
          username:
            description: As O(username).
            type: str
          password:
            description: As O(password). Never shown in results, warnings or logs.
            type: str
          domain:
            description: As O(domain).
            type: str
          iam_url:
            description: As O(iam_url).
            type: str
          validate_certs:
            description: As O(validate_certs).
            type: bool
          ca_path:
            description: As O(ca_path).
            type: path
          request_timeout:
            description: As O(request_timeout).
            type: float
          request_retries:
            description: As O(request_retries).
            type: int
      harness:
        description:
          - Settings for B(Harness).
        type: dict
        suboptions:
          api_url:
            description: As O(api_url).
            type: str
          api_token:
            description: As O(api_token). Never shown in results, warnings or logs.
            type: str
          account_id:
            description: As O(account_id).
            type: str
          calls_per_minute:
            description: As O(calls_per_minute).
            type: int
          validate_certs:
            description: As O(validate_certs).
            type: bool
          ca_path:
            description: As O(ca_path).
            type: path
          request_timeout:
            description: As O(request_timeout).
            type: float
          request_retries:
            description: As O(request_retries).
            type: int
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only set to V(false) on a trusted network with self-signed certificates;
        the task then warns once, naming the servers reached without a check.
      - Applies to every request of the vendor, including the IAM token request of CodeArts.
      - Default V(true).
    type: bool
  ca_path:
    description:
      - PEM file of the certificate authorities to verify the server's certificate with.
      - Without it, the CA bundle of C(requests), or the one named by the environment variable C(REQUESTS_CA_BUNDLE).
        A file that does not exist or holds no certificate is refused before anything is sent.
    type: path
  request_timeout:
    description:
      - Seconds to wait for each HTTP response. Different from O(wait_timeout), which bounds a whole wait.
      - Default V(30).
    type: float
  request_retries:
    description:
      - How many times a request is retried after HTTP 429 (honouring C(Retry-After)), and, for requests that are
        safe to repeat, after HTTP 5xx or a connection error.
      - Requests that start, approve or retry something are never repeated blindly; when their outcome is unknown the
        module looks the result up before deciding.
      - Default V(5).
    type: int
notes:
  - Connection options can come from O(ignore:module_defaults) for the group C(group/cicd.pipelines.pipelines), from the
    task, from O(connections), or from the vendor's own environment variables (checked last, only for that vendor).
  - Giving an option that the chosen O(vendor) does not use is an error, so a typo in a vendor switch is caught.
  - Proxies come from the environment as C(requests) reads it (C(HTTPS_PROXY), C(HTTP_PROXY), C(ALL_PROXY), C(NO_PROXY));
    credentials in a proxy URL are masked in every message.
requirements:
  - requests
'''
