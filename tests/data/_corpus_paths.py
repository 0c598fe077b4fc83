"""Secret classes for file-system paths and for the user's and host's own names.

Placeholders: ``{u}`` a user name, ``{w}`` a Windows profile name with a space, ``{p}`` a
client project folder, ``{srv}`` a file server, ``{lab}`` a volume label. Every placeholder a
template uses is a secret of that case; literal folder names (``projects``, ``data``) and file
names are not, because the product keeps the last part when it is a file name and generic words
would make the check meaningless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from _corpus_gen import HOME, HOST_NAME, USER_NAME, Case, Gen, fill

PLACEHOLDERS = ("u", "w", "p", "srv", "lab")


def auto(g: Gen, templates: list[Any]) -> list[Case]:
    out: list[Case] = []
    for template in templates:
        values = {"u": g.user(), "w": g.full_name(), "p": g.project(), "srv": g.server()}
        values["lab"] = g.label()
        text = json.dumps(template)
        secrets = [values[n] for n in PLACEHOLDERS if "{" + n + "}" in text]
        if "{wurl}" in text:
            values["wurl"] = values["w"].replace(" ", "%20")
            secrets.append(values["wurl"])
        out.append((fill(template, values), secrets))
    return out


def linux(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'/home/{u}/{p}/data/train.jsonl'",
            'File "/home/{u}/miniconda3/envs/{p}/lib/python3.11/site-packages/torch/nn/'
            'modules/module.py", line 1511, in _call_impl',
            {"cache_dir": "/home/{u}/.cache/huggingface/hub"},
            "cd /home/{u} && ls",
            "PermissionError: [Errno 13] Permission denied: '/home/{u}/'",
            "/var/home/{u}/{p}/run.log",
            "/root/{p}/config.yaml",
            ["--output_dir", "/home/{u}/{p}/outputs/"],
            "saved adapter to /home/{u}/{p}/adapter_model.safetensors.",
            "HOME=/home/{u}",
        ],
    )


def macos(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "OSError: [Errno 28] No space left on device: '/Users/{u}/Library/Caches/{p}/blob.bin'",
            {"output_dir": "/Users/{u}/Documents/{p}/notes.md"},
            "/Users/{u}/Library/Application Support/{p}/state.json",
            "opened /Users/{u}",
            "cp /Users/{u}/Downloads/{p}/eval.csv .",
            'File "/Users/{u}/.pyenv/versions/3.11.7/lib/python3.11/runpy.py", line 198',
            ["--data", "/Users/{u}/Desktop/{p}/train.jsonl"],
            "/users/{u}/{p}/x.txt",
            "/Users/{w}/Documents/{p}/plan.docx",
        ],
    )


def windows(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "FileNotFoundError: [WinError 3] The system cannot find the path specified: "
            "'C:\\Users\\{u}\\{p}\\train.jsonl'",
            "C:/Users/{u}/AppData/Local/{p}/cache.db",
            {"output_dir": "C:\\Users\\{w}\\Documents\\{p}\\outputs"},
            "c:\\users\\{u}\\desktop\\{p}\\notes.txt",
            "D:\\Users\\{u}\\{p}\\",
            "C:\\Documents and Settings\\{u}\\{p}\\old.ini",
            "No such file: 'C:\\\\Users\\\\{u}\\\\{p}\\\\data.csv'",
            ["--config", "C:/Users/{w}/{p}/lora.yaml"],
            "\\\\?\\C:\\Users\\{u}\\{p}\\very\\long\\path\\file.bin",
            "USERPROFILE=C:\\Users\\{u}",
        ],
    )


def wsl(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "/mnt/c/Users/{u}/Downloads/{p}/train.jsonl",
            {"data_dir": "/mnt/c/Users/{u}/{p}"},
            "cp /mnt/c/Users/{w}/Documents/{p}/eval.csv .",
            "\\\\wsl$\\Ubuntu\\home\\{u}\\{p}\\run.log",
            "\\\\wsl.localhost\\Ubuntu-22.04\\home\\{u}\\{p}\\",
            "OSError: /mnt/d/Users/{u}/{p}/model.bin: Input/output error",
            ["--cache", "/mnt/c/Users/{u}/.cache/{p}/"],
            "/mnt/c/users/{u}/{p}/notes.md",
        ],
    )


def unc(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "\\\\{srv}\\finance\\{u}\\{p}\\report.xlsx",
            {"share": "\\\\{srv}\\home$\\{u}\\{p}"},
            "PermissionError: [WinError 5] Access is denied: '\\\\{srv}\\projects\\{p}\\data.csv'",
            "//{srv}/share/{u}/{p}/train.jsonl",
            "net use Z: \\\\{srv}\\{p}",
            ["--data", "\\\\{srv}\\ml\\{p}\\"],
            "smb://{srv}/exports/{p}/eval.parquet",
            "copying \\\\{srv}\\scratch\\{u}\\{p}\\ckpt.bin",
        ],
    )


def file_url(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "file:///home/{u}/{p}/report.html",
            "file:///C:/Users/{u}/{p}/index.html",
            {"link": "file:///Users/{u}/Documents/{p}/"},
            "file://{srv}/share/{u}/{p}/notes.md",
            "open file:///mnt/c/Users/{u}/{p}/plot.png",
            "file:///C:/Users/{wurl}/{p}/a.pdf",
            ["--report", "file:///srv/{u}/{p}"],
            "file:/home/{u}/{p}/train.jsonl",
        ],
    )


def tilde(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "~{u}/{p}/train.py",
            "ssh-keygen -f ~{u}/.ssh/id_ed25519",
            "cd ~{u}/{p}",
            {"path": "~{u}/{p}/"},
            "No such file: '~{u}/{p}/config.yaml'",
            ["--output", "~{u}/{p}/out"],
            "ls ~{u}/",
            "loaded ~{u}/{p}/.env",
        ],
    )


def removable(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "/media/{u}/{lab}/datasets/train.parquet",
            "/run/media/{u}/{lab}/backups/{p}/",
            "/Volumes/{lab}/{p}/eval.csv",
            {"source": "/media/{u}/{lab}"},
            "OSError: [Errno 5] Input/output error: '/Volumes/{lab}/'",
            "rsync -a outputs/ /run/media/{u}/{lab}/{p}",
            ["--data", "/Volumes/{lab}/{p}/train.jsonl"],
            "mounted /media/{u}/{lab} read-only",
        ],
    )


def folder(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "output_dir=/srv/{u}/{p}",
            {"output_dir": "/srv/{u}/{p}"},
            "Saving checkpoint to /opt/{u}/{p}",
            "/data/{u}/{p}",
            "ls: cannot access '/scratch/{u}/{p}': No such file or directory",
            ["--output_dir", "/workspace/{u}/{p}"],
            "resuming from /mnt/nfs/{u}/{p}/",
            "/home/{u}/{p}",
            "/Users/{u}/{p}",
            "C:\\Projects\\{u}\\{p}",
        ],
    )


def file_paths(g: Gen) -> list[Case]:
    return auto(
        g,
        [
            "/srv/{u}/{p}/train.jsonl",
            "reading /opt/{u}/{p}/data/eval.csv",
            {"config": "/data/{u}/{p}/lora.yaml"},
            "Traceback: /scratch/{u}/{p}/train.py, line 42",
            ["--resume", "/workspace/{u}/{p}/checkpoint-500/adapter_model.safetensors"],
            "/mnt/nfs/{u}/{p}/run.log",
            "E:\\{u}\\{p}\\metrics.json",
            "wrote /tmp/{u}/{p}/trace.json",
        ],
    )


def user_name(g: Gen) -> list[Case]:
    u = USER_NAME
    return [
        (f"Run started by {u} at step 0", [u]),
        (f"owner: {u.title()}", [u]),
        (f"whoami -> {u}", [u]),
        ({"launched_by": u, "step": 100}, [u]),
        (f"CORP\\{u} is not in the sudoers file.", [u]),
        (f"git config user.name {u}", [u]),
        ({u: "lr sweep"}, [u]),
        (f"PermissionError: {HOME}/.cache/huggingface/token", [u]),
        (["--run-name", f"{u}-lora-sweep"], [u]),
        (f"wandb: Syncing run {u.upper()}_sweep_3", [u]),
    ]


def host_name(g: Gen) -> list[Case]:
    h, short = HOST_NAME, HOST_NAME.split(".")[0]
    return [
        (f"Connection to {h} closed.", [short]),
        (f"hostname: {short.upper()}", [short]),
        (f"[rank0]:[W {short}] NCCL WARN Cuda failure 'out of memory'", [short]),
        (
            f"slurmstepd: error: *** JOB 123456 ON {short} CANCELLED AT 2024-06-01T10:00:00 ***",
            [short],
        ),
        ({"node": short, "gpus": 8}, [short]),
        (f"ssh {h} nvidia-smi", [short]),
        ({"dist": {"master_addr": h, "master_port": 29500}}, [short]),
        (f"torch.distributed: rendezvous at {short}:29500 timed out", [short]),
        (["--host", h], [short]),
        (f"{USER_NAME}@{short}:~$ python train.py", [short, USER_NAME]),
    ]


Builder = Callable[[Gen], list[Case]]
PATH_CLASSES: list[tuple[str, Builder]] = [
    ("path:linux", linux),
    ("path:macos", macos),
    ("path:windows", windows),
    ("path:wsl", wsl),
    ("path:unc", unc),
    ("path:file_url", file_url),
    ("path:tilde", tilde),
    ("path:removable", removable),
    ("path:folder", folder),
    ("path:file", file_paths),
]
NAME_CLASSES: list[tuple[str, Builder]] = [("name:user", user_name), ("name:host", host_name)]
