# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Jenkins on the wire: job paths, JSON reads, POSTs with CSRF crumbs, Jenkins' error words.

Every URL is built from the configured api_url. URLs that Jenkins hands out (Location headers,
`url` fields) are absolute and built from Jenkins' own idea of its root URL, which is wrong when
Jenkins sits behind a proxy or is reached through another host name; only their *path* is used.
"""

from __future__ import annotations

import html
import re
import typing as t

from urllib.parse import quote, unquote, urlparse

from ..._errors import ApiError, AuthenticationError, NotFoundError, ValidationError
from ..._http import Response, ResponsePolicy, Transport, default_vendor_message

# Job field selections (`tree=`, Jenkins remote access API). Each read asks only for what it uses:
# depth-0 answers of big jobs are large, and `tree` also reaches into the actions of builds.
_PARAM_DEFS = 'property[parameterDefinitions[name,type,description,defaultParameterValue[value],choices]]'
JOB_TREE = 'name,fullName,buildable,disabled,color,jobs[name],' + _PARAM_DEFS
# Enough of each build to match keys, lineage and parameters without reading builds one by one.
# `jobs` is only present on folders: asking for it costs nothing and tells a folder from a job.
BUILDS_TREE = ('name,buildable,disabled,color,jobs[name],builds[number,result,building,inProgress,description,timestamp,'
               'duration,queueId,actions[parameters[name,value],causes[_class,shortDescription]]]{0,50},' + _PARAM_DEFS)
QUEUE_TREE = ('items[id,_class,why,inQueueSince,task[name,url],params,'
              'actions[parameters[name,value],causes[_class,shortDescription]]]')
BUILD_FIELDS = ('number,result,building,inProgress,description,timestamp,duration,estimatedDuration,queueId,'
                'displayName,actions[parameters[name,value],causes[_class,shortDescription]]')
BUILD_TREE = BUILD_FIELDS
LAST_BUILD_TREE = 'jobs[name],lastBuild[number]'
QUEUE_IDS_TREE = 'jobs[name],builds[number,queueId]{0,50}'

# Jenkins formats cause texts in the request's locale (Stapler); lineage is read from those texts.
_HEADERS = {'Accept-Language': 'en'}
_CRUMB_ERROR = re.compile(r'no valid crumb', re.I)
_QUEUE_PATH = re.compile(r'/queue/item/(\d+)/?$')


def vendor_message(response: Response) -> str:
    """Jenkins' own words for an error: `hudson.model.Failure` pages carry them in the X-Error header;
    the servlet container's error pages (Jetty) in a MESSAGE row, else in their heading."""
    header = response.headers.get('X-Error')
    if header:
        return str(header)
    for pattern in (r'(?is)<th>\s*MESSAGE:\s*</th>\s*<td>(.*?)</td>', r'(?is)<h2>\s*HTTP ERROR \d+\s*(.*?)</h2>'):
        found = re.search(pattern, response.text)
        if found and found.group(1).strip():
            return html.unescape(re.sub(r'<[^>]+>', ' ', found.group(1))).strip()
    return default_vendor_message(response)


class JenkinsResponses(ResponsePolicy):
    """Jenkins answers: its own error words (`vendor_message`); no rate limiting of its own (a 429 comes
    from a proxy in front of it, and is handled as for every vendor)."""

    def vendor_message(self, response: Response) -> str:
        return vendor_message(response)


def job_segments(name: str) -> t.List[str]:
    """Split a full job name (`team/app/deploy`) into its segments; ValidationError for a malformed one."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError('jenkins: the job name is empty; give its full name, e.g. team/app/deploy')
    segments = name.split('/')
    for segment in segments:
        if not segment.strip():
            raise ValidationError('jenkins: job name %r has an empty segment; give the full name with one slash '
                                  'between folder names, e.g. team/app/deploy' % name)
        if segment in ('.', '..'):
            raise ValidationError('jenkins: job name %r contains %r, which no Jenkins item can be named' % (name, segment))
    return segments


def job_path(name: str) -> str:
    """Path of a job below the Jenkins root: `team/app` -> `/job/team/job/app` (each segment URL-quoted)."""
    return ''.join('/job/' + quote(segment, safe='') for segment in job_segments(name))


def build_path(name: str, number: int) -> str:
    return '%s/%d' % (job_path(name), number)


def queue_id_from_location(location: t.Optional[str]) -> t.Optional[int]:
    """The queue id in a `Location: <any root>/queue/item/<id>/` header, or None when it is not one."""
    if not location:
        return None
    match = _QUEUE_PATH.search(urlparse(location).path)
    return int(match.group(1)) if match else None


def job_name_from_url(url: t.Optional[str]) -> t.Optional[str]:
    """The full job name in a Jenkins `url` field (`http://x/ctx/job/a/job/b/` -> `a/b`), or None."""
    if not url:
        return None
    parts = unquote(urlparse(url).path).strip('/').split('/')
    if 'job' not in parts:
        return None
    parts = parts[parts.index('job'):]
    if len(parts) % 2 or any(p != 'job' for p in parts[::2]):
        return None
    return '/'.join(parts[1::2])


def same_job(url: t.Optional[str], name: str) -> bool:
    """True when a Jenkins `url` field (any host, any context path) addresses the job `name`.

    Compared on the decoded path: the path must end with the job's `/job/..` segments and nothing before
    them may be another `/job/` segment (that would be a job of the same name in another folder).
    """
    if not url:
        return False
    path = unquote(urlparse(url).path).rstrip('/')
    suffix = ''.join('/job/' + segment for segment in job_segments(name))
    if not path.endswith(suffix):
        return False
    return '/job/' not in path[:-len(suffix)] + '/'


class JenkinsApi:
    """Requests to one Jenkins: JSON reads and POSTs that carry a CSRF crumb when the auth needs one.

    Crumbs (Jenkins CrumbFilter / DefaultCrumbIssuer): requests authenticated with an API token are
    exempt (ApiCrumbExclusion), so token auth never fetches one. Password and anonymous clients fetch
    one from /crumbIssuer/api/json before their first POST; it is bound to the JSESSIONID session
    cookie, which the transport's requests.Session keeps. 404 there means no crumb issuer is
    configured, and no crumb is sent.
    """

    def __init__(self, http: Transport, api_url: str, use_crumbs: bool) -> None:
        self.http = http
        self.root = api_url.rstrip('/')
        self.use_crumbs = use_crumbs
        self._crumb: t.Optional[t.Tuple[str, str]] = None
        self._crumb_known = False

    def url(self, path: str) -> str:
        """The web UI address of `path`, always below the configured api_url."""
        return self.root + path

    # Reads --------------------------------------------------------------------------------------

    def get_json(self, path: str, operation: str, tree: t.Optional[str] = None) -> t.Any:
        """GET `path` and return its JSON; ApiError when Jenkins answers with something else."""
        params = {'tree': tree} if tree else None
        response = self.http.request('GET', path, operation=operation, params=params, headers=_HEADERS)
        return self.json_of(response, path, operation)

    def get_json_or_none(self, path: str, operation: str, tree: t.Optional[str] = None) -> t.Any:
        """Like get_json, but None when the object does not exist (404)."""
        try:
            return self.get_json(path, operation, tree)
        except NotFoundError:
            return None

    def json_of(self, response: Response, path: str, operation: str) -> t.Any:
        if response.status >= 300:
            # A redirect where data was expected: typically http -> https, a missing context path, or a
            # login page of a reverse proxy.
            raise ApiError('jenkins: could not %s: %s redirected (HTTP %d) to %s; check that api_url is the '
                           'Jenkins root URL, including any context path such as /jenkins'
                           % (operation, path, response.status, response.headers.get('Location') or 'elsewhere'),
                           status=response.status)
        try:
            return response.json()
        except ValueError:
            raise ApiError('jenkins: could not %s: %s answered with an HTML page instead of JSON (HTTP %d); check '
                           'that api_url is the Jenkins root URL, including any context path such as /jenkins'
                           % (operation, path, response.status), status=response.status)

    # Writes -------------------------------------------------------------------------------------

    def post(self, path: str, operation: str, *, data: t.Optional[t.Mapping[str, str]] = None,
             params: t.Optional[t.Mapping[str, t.Any]] = None, idempotent: bool = False,
             answers: t.Collection[int] = ()) -> Response:
        """POST with the crumb the auth needs. A 403 'No valid crumb' (expired session, or a password
        given as api_token) gets a fresh crumb and exactly one resend: Jenkins refused before acting."""
        headers = dict(_HEADERS)
        headers.update(self._crumb_header(operation))
        try:
            return self.http.request('POST', path, operation=operation, data=data, params=params, headers=headers,
                                     idempotent=idempotent, answers=answers)
        except AuthenticationError as exc:
            if exc.status != 403 or not _CRUMB_ERROR.search(exc.vendor_message or exc.msg):
                raise
        self._crumb_known = False
        self.use_crumbs = True
        headers.update(self._crumb_header(operation))
        return self.http.request('POST', path, operation=operation, data=data, params=params, headers=headers,
                                 idempotent=idempotent, answers=answers)

    def _crumb_header(self, operation: str) -> t.Dict[str, str]:
        if not self.use_crumbs:
            return {}
        if not self._crumb_known:
            self._crumb = self._fetch_crumb(operation)
            self._crumb_known = True
        return {self._crumb[0]: self._crumb[1]} if self._crumb else {}

    def _fetch_crumb(self, operation: str) -> t.Optional[t.Tuple[str, str]]:
        data = self.get_json_or_none('/crumbIssuer/api/json', 'fetch a CSRF crumb to ' + operation)
        if not isinstance(data, dict) or not data.get('crumb'):
            return None
        crumb = str(data['crumb'])
        self.http.add_secret(crumb)
        return str(data.get('crumbRequestField') or 'Jenkins-Crumb'), crumb
