# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """What each vendor does for each module, as notes (a vendor that lands adds its lines here and in
    docs/<vendor>.md, never in a module)."""

    DOCUMENTATION = r'''
options: {}
'''

    START = r'''
options: {}
notes:
  - B(Jenkins) - O(pipeline) is the full job name with folders, for example C(team/app/deploy). The module follows the
    queue item until it becomes a build (bounded by O(wait_timeout)), so RV(execution.id) is the real build number, never
    a guess; if it is still queued then, RV(execution.id) is V(null) and C(queue_id) in RV(execution.scope) addresses it.
  - B(Jenkins) - the idempotency key travels in the build parameter C(CICD_IDEMPOTENCY_KEY) when the job declares it (a
    string parameter; the key then arrives atomically with the build). Otherwise it is written to the build description
    once the build leaves the queue, and a warning says so. O(notes) go to the build description. O(revision) is not
    supported (pass it as a build parameter). O(start_inputs) - C(quiet_period) (seconds before the build starts).
  - See the vendor guides in the collection's C(docs/) folder (C(docs/jenkins.md)).
'''

    INFO = r'''
options: {}
notes:
  - B(Jenkins) - O(execution_id) is the build number. Stages and gates come from the Pipeline Stage View API; freestyle
    builds have none. The log tail is the failed step's log for Pipeline builds, else the end of the console log.
'''

    INPUT = r'''
options: {}
notes:
  - B(Jenkins) - a gate is an C(input) step; O(input_id) is its C(id) (Jenkins upper-cases its first letter; either
    spelling matches). V(approve) is proceed, V(reject) is abort (the build ends aborted). Jenkins records no comment,
    so O(comment) is refused.
'''

    RESUME = r'''
options: {}
notes:
  - B(Jenkins) - restarts a Declarative Pipeline build from the stage ("Restart from Stage"), once the build has
    finished and unless the job disables it. Jenkins makes a new build with the same parameters; it is returned, with
    RV(execution.previous_id) set to the original build.
'''

    RETRY = r'''
options: {}
notes:
  - B(Jenkins) - restarts a Declarative Pipeline from its first stage that did not succeed; where that is not available,
    rebuilds it (Replay's "Rebuild", same script and parameters); for jobs without that, starts the job again with the
    same parameters. The new build is returned with RV(execution.previous_id) set to the original. A build with password
    parameters can be restarted from a stage but not rebuilt, because Jenkins does not reveal password values.
'''

    CANCEL = r'''
options: {}
notes:
  - B(Jenkins) - stops a running build (C(stop)) or cancels a queue item (also one addressed by an RV(execution) record
    that is still queued).
'''
