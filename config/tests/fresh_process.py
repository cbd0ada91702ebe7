"""Run Django code in a fresh interpreter configured only by the environment given (nothing leaks from the
test process), as another instance or a new deployment would start."""

import json
import os
import subprocess
import sys

from django.conf import settings


def django_json(
    expression: str, environment: dict[str, str], settings_module: str = "config.settings.base", imports: str = ""
):
    """The JSON value of `expression` (which may use `settings` and what `imports` brings), evaluated after
    django.setup() with exactly this environment."""
    code = f"import django, json; django.setup(); from django.conf import settings; {imports}\n"
    code += f"print(json.dumps({expression}))"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env |= {"DJANGO_SETTINGS_MODULE": settings_module, **environment}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
