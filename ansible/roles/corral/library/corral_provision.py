#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: Corral contributors. Apache-2.0.
"""Ansible module: drive Corral's own setup / teardown / status through their --json reports."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: corral_provision
short_description: Provision (or remove) Corral sandbox identities for one real user, or a whole installation
description:
  - Runs C(corral setup --json) for one real user and their workspaces, or C(corral teardown --json) for the
    installation, and reports what Corral itself reports. It reimplements nothing of provisioning.
  - C(changed) is true exactly when Corral applied (or, in check mode, would apply) at least one step.
  - In check mode it runs C(corral setup --dry-run --json) (or C(teardown --dry-run --json)) and changes nothing.
  - With C(--diff) the plan Corral printed is shown as the task's diff.
  - After a converge it runs C(corral status --json) and fails when anything is missing or drifted.
  - Failures carry Corral's error code and remedy.
options:
  state:
    description: C(present) provisions I(user); C(absent) tears the installation down (every user of it).
    type: str
    choices: [present, absent]
    default: present
  user:
    description: The real user (an existing account). Required when I(state=present).
    type: str
  workspaces:
    description: Workspace directories of I(user) (existing directories the user owns).
    type: list
    elements: path
    default: []
  network:
    description: The user's default network.
    type: str
    choices: [offline, online]
    default: offline
  instance:
    description: The installation name (C(CORRAL_INSTANCE)); C(corral) is the normal one.
    type: str
    default: corral
  node:
    description: The Node binary that runs Corral (setup copies it as the runner's Node).
    type: path
    default: /usr/bin/node
  cli:
    description: Corral's command (the C(corral) file an C(npm install -g) put on the host).
    type: path
    default: /usr/local/bin/corral
"""

RETURN = r"""
plan:
  description: With --check or --diff, the changes of Corral's dry-run plan (id, title, commands); otherwise the steps Corral applied (id, title, status).
  returned: always
  type: list
applied:
  description: Ids of the steps Corral applied.
  returned: always
  type: list
report:
  description: Corral's JSON document for the main command.
  returned: always
  type: dict
status:
  description: C(corral status --json) after a converge.
  returned: when state=present and not in check mode
  type: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def run_corral(module, args):
    """Run corral with args (a list: never a shell line); return (rc, parsed JSON document, stderr)."""
    rc, out, err = module.run_command(
        [module.params["node"], module.params["cli"]] + args,
        environ_update={"CORRAL_INSTANCE": module.params["instance"], "CI": "true"},
        check_rc=False,
    )
    try:
        doc = json.loads(out)
    except ValueError:
        module.fail_json(
            msg="corral %s printed no JSON document (exit %d)" % (" ".join(args[:1]), rc),
            rc=rc, stdout=out, stderr=err,
        )
    return rc, doc, err


def fail_from(module, what, rc, doc, err):
    error = doc.get("error") or {}
    code = error.get("code", "unknown")
    message = error.get("message", "corral failed")
    remedy = error.get("remedy", "")
    module.fail_json(
        msg="corral %s failed [%s]: %s%s" % (what, code, message, (" — " + remedy) if remedy else ""),
        code=code, remedy=remedy, rc=rc, report=doc, stderr=err,
    )


def plan_text(doc):
    lines = []
    for i, change in enumerate(doc.get("changes", []), 1):
        lines.append("+ %d. %s" % (i, change.get("title", change.get("id", "?"))))
        for command in change.get("commands", []):
            for line in str(command).splitlines():
                lines.append("      " + line)
    return "\n".join(lines) + ("\n" if lines else "")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            user=dict(type="str"),
            workspaces=dict(type="list", elements="path", default=[]),
            network=dict(type="str", choices=["offline", "online"], default="offline"),
            instance=dict(type="str", default="corral"),
            node=dict(type="path", default="/usr/bin/node"),
            cli=dict(type="path", default="/usr/local/bin/corral"),
        ),
        required_if=[("state", "present", ["user"])],
        supports_check_mode=True,
    )
    p = module.params
    if not os.path.exists(p["cli"]):
        if module.check_mode and p["state"] == "present":
            # A first run in check mode: the package task was only simulated, so there is no corral
            # to ask for a plan; everything would change.
            module.exit_json(changed=True, plan=[], applied=[], msg="%s is not installed yet: it would be, and %s provisioned" % (p["cli"], p["user"]))
        if p["state"] == "absent":
            module.exit_json(changed=False, plan=[], applied=[], msg="%s is not installed: nothing to tear down" % p["cli"])
        module.fail_json(msg="%s does not exist: install the Corral package first (the role's install task does)" % p["cli"])
    if p["state"] == "present":
        base = ["setup", "--user", p["user"], "--network", p["network"]]
        for ws in p["workspaces"]:
            base += ["--workspace", ws]
        what = "setup"
    else:
        base = ["teardown"]
        what = "teardown"

    # The plan first when it is all we may do (check mode) or when a diff is asked for.
    planned = None
    if module.check_mode or module._diff:
        rc, planned, err = run_corral(module, base + ["--dry-run", "--json"])
        if rc != 0 or not planned.get("ok", False):
            fail_from(module, what + " --dry-run", rc, planned, err)
    result = dict(changed=False, plan=[], applied=[])
    if planned is not None:
        result["plan"] = planned.get("changes", [])
        if module._diff:
            result["diff"] = dict(
                before_header="%s (%s): now" % (p["instance"], p.get("user") or "installation"),
                after_header="%s (%s): after %s" % (p["instance"], p.get("user") or "installation", what),
                prepared=plan_text(planned) or "(nothing to change)\n",
            )
    if module.check_mode:
        result["changed"] = len(planned.get("changes", [])) > 0
        result["report"] = planned
        module.exit_json(**result)

    rc, doc, err = run_corral(module, base + ["--yes", "--json"])
    if rc != 0 or not doc.get("ok", True):
        fail_from(module, what, rc, doc, err)
    applied = [s.get("id") for s in doc.get("steps", []) if s.get("status") == "applied"]
    result.update(report=doc, applied=applied, changed=len(applied) > 0)
    if planned is None:
        result["plan"] = doc.get("steps", [])

    if p["state"] == "present":
        rc, status, err = run_corral(module, ["status", "--json"])
        result["status"] = status
        if rc != 0 or not status.get("ok", False):
            fail_from(module, "status (after setup)", rc, status, err)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
