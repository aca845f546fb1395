"""Seed helper that runs INSIDE the Dioptra server's venv (it imports dioptra and mlflow).

The desktop app's venv must not contain Dioptra, so the seeder runs this file as
``<server venv python> seedtool.py <command>`` with the server's environment
(``DIOPTRA_RESTAPI_*``, ``MLFLOW_TRACKING_URI``), a JSON request on stdin and a
JSON answer on stdout. Progress and library chatter go to stderr.

Commands:
    create-group: make a group through Dioptra's ORM (the REST API cannot).
        Request: ``{"name": str, "creator": username, "members": [username, ...]}``.
        Answer: ``{"id": int, "name": str}``.
    log-runs: play a Dioptra worker's MLflow part: create runs and log local
        files and folders into them.
        Request: ``{"experiment": str, "artifact_location": "file:///...",
        "runs": [{"name": str, "files": [[local_path, artifact_path|null], ...],
        "dirs": [[local_dir, artifact_path|null], ...]}]}``.
        Answer: ``{"experiment_id": str, "runs": [{"run_id": str, "artifact_uri": str}]}``.

Interpreter start and imports are the slow part (seconds), so each command takes
a whole batch, and does its imports BEFORE reading stdin: the caller starts the
tool early and sends the request when the server side is ready for it.

This file must stay standalone: it is not imported by the app and may use only
the server venv's packages.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def prepare_app() -> Any:
    """Build the Dioptra app (the slow part of create-group)."""
    from dioptra.restapi import create_app

    return create_app(env="dev")


def create_group(request: dict[str, Any], app: Any) -> dict[str, Any]:
    """Create a group with its creator as owner/admin member, plus read/write members.

    The REST API has no group creation (``POST /groups/`` is 405), so this
    follows what Dioptra itself does for ``public`` on first registration:
    GroupRepository.create() makes the creator a member (read, write, share)
    and a manager (owner, admin); the built-in plugin parameter types are
    registered in the group so plugins with typed parameters can be made there.
    """
    from dioptra.restapi.db import models
    from dioptra.restapi.db.unit_of_work import UnitOfWork
    from dioptra.restapi.v1.plugin_parameter_types.service import BuiltinPluginParameterTypeService

    with app.app_context():
        uow = UnitOfWork()
        creator = uow.user_repo.get_by_name(request["creator"])
        if creator is None:
            raise SystemExit(f"No user named {request['creator']!r}")
        existing = uow.group_repo.get_by_name(request["name"])
        if existing is not None:
            return {"id": existing.group_id, "name": existing.name, "created": False}

        group = models.Group(name=request["name"], creator=creator)
        with uow:
            uow.group_repo.create(group)
        # Members are added after the commit: the membership key needs the group id.
        # no_autoflush: looking users up mid-change would flush the half-built
        # membership and make SQLAlchemy warn about the User side of it.
        with uow, uow.session.no_autoflush:
            for username in request.get("members", []):
                user = uow.user_repo.get_by_name(username)
                if user is None:
                    raise SystemExit(f"No user named {username!r}")
                # The same rights Dioptra gives later members of ``public``.
                uow.group_repo.add_member(group, user, read=True, write=True)
        BuiltinPluginParameterTypeService(uow).create_all(user=creator, group=group, commit=True)
        return {"id": group.group_id, "name": group.name, "created": True}


def prepare_mlflow() -> Any:
    """Import MLflow and open the tracking store (creating its database the first time)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.search_experiments(max_results=1)  # forces the store's schema setup now
    return client


def log_runs(request: dict[str, Any], client: Any) -> dict[str, Any]:
    """Create MLflow runs and log local files and folders into them."""
    experiment = client.get_experiment_by_name(request["experiment"])
    if experiment is None:
        experiment_id = client.create_experiment(request["experiment"], artifact_location=request["artifact_location"])
    else:
        experiment_id = experiment.experiment_id

    answers = []
    for spec in request["runs"]:
        run = client.create_run(experiment_id, run_name=spec.get("name"))
        run_id = run.info.run_id
        for local_path, artifact_path in spec.get("files", []):
            client.log_artifact(run_id, local_path, artifact_path)
        for local_dir, artifact_path in spec.get("dirs", []):
            client.log_artifacts(run_id, local_dir, artifact_path)
        client.set_terminated(run_id)
        answers.append({"run_id": run_id, "artifact_uri": run.info.artifact_uri})
    return {"experiment_id": experiment_id, "runs": answers}


COMMANDS = {"create-group": (prepare_app, create_group), "log-runs": (prepare_mlflow, log_runs)}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in COMMANDS:
        print(f"usage: seedtool.py {{{','.join(COMMANDS)}}} < request.json", file=sys.stderr)
        return 2
    prepare, run = COMMANDS[argv[1]]
    # Libraries print to stdout now and then; keep it clean for the JSON answer.
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    prepared = prepare()
    request = json.load(sys.stdin)
    answer = run(request, prepared)
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        json.dump(answer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
