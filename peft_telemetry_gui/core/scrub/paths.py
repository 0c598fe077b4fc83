"""Folder paths: which ones are personal, and how much of them survives.

* A path is scrubbed as a whole and replaced by ``[path]``. Its last part is kept, as
  ``[path]/train.jsonl``, only when it looks like a file name: it ends in an extension from
  :data:`FILE_EXTENSIONS`. A bare last folder (``/srv/bob/acme-merger``) names a project, a
  client or a person far more often than a file name does, so it goes; an unknown extension
  goes as well (``/srv/acme.corp`` is more likely a folder named after a company than a file).
  A trailing separator is kept (``[path]/``) since it says only "this is a folder".
* Personal trees are recognised even when short: home folders on Linux, macOS and Windows
  (``C:\\Users\\u``, with either slash, ``Documents and Settings``), ``~`` and ``~user``,
  ``file://`` URLs, UNC shares (``\\\\server\\share``, ``//server/share``, ``smb://``), any
  drive letter with at least one folder, and mount or data trees (``/mnt``, ``/media``,
  ``/run/media``, ``/Volumes``, ``/srv``, ``/opt``, ``/data``, ``/scratch`` ...) with at least one
  folder under them, which also covers WSL's ``/mnt/c/Users/u``. Below those roots a folder may
  contain single spaces (``Application Support``) as long as a separator follows it. Other
  absolute paths need three parts, so ``/etc/hosts`` and ``/tmp`` survive and
  ``/usr/lib/x/libcuda.so`` does not.
* Relative paths (``data/train.jsonl``, ``./outputs/checkpoint-500``) survive: they name
  nothing outside the project. A path that only starts after an HTTP method (``GET /v1/x/y``)
  is an API route, not a folder, and survives too.
"""

from __future__ import annotations

import re

from .markers import bump

# One character of a path component: not a separator, quote, space or shell/JSON punctuation.
SEG = r"[^\s\\/\"'<>|,;()\[\]{}=*?:]"
_COMP = SEG + "+"
# A folder may contain single spaces ("Dave Smith", "Application Support"); a following
# separator is required for the spaced form so "C:\Users\bob and more text" stops at "bob".
_USERSEG = rf"{_COMP}(?: {_COMP})*(?=[\\/])|{_COMP}"
REST = rf"(?P<rest>(?:[\\/]+(?:{_USERSEG}))*[\\/]*)"
_MOUNTS = (
    r"mnt|media|run/media|Volumes|srv|opt|data|datasets|scratch|work|workspace|projects|shared"
    r"|storage|nfs|gpfs|lustre|net|export|content/drive"
)
# Every alternative starts with one literal character and checks what precedes it afterwards,
# with a two-character lookbehind (``/(?<!x/)`` is ``(?<!x)/``): a pattern whose branches all
# start with a known character lets the regex engine skip the positions that cannot start a
# match, which makes a path-free string about ten times cheaper to scan than with leading
# lookbehinds.
_SLASH_PATHS = (
    # Known home-directory layouts; the user segment may contain single spaces (Windows).
    rf"/(?<![A-Za-z0-9_.\-~]/)(?:home/(?:{_USERSEG})|(?i:users)/(?:{_USERSEG})"
    rf"|root(?![A-Za-z0-9_.\-]))",
    # //server/share, but not the "//" of a URL ("hf://datasets/x").
    rf"/(?<![A-Za-z0-9_.\-~/:\\]/)/{_COMP}(?:/+{_COMP})+",
    # Mount and data trees with at least one folder under them, and any other absolute path
    # with three parts; also after ":" as in PATH=/usr/bin:/opt/acme/bin.
    # A volume label may contain single spaces too ("/Volumes/My Passport/...").
    rf"/(?<![A-Za-z0-9_.\-~/\\]/)(?:(?:{_MOUNTS})/(?:{_USERSEG})|{_COMP}(?:/{_COMP})+/(?:{_COMP})?)",
    rf"\\(?<![A-Za-z0-9\\]\\)\\{_COMP}(?:\\+{_COMP})+",
    r"~(?<![A-Za-z0-9_~]~)[A-Za-z0-9._\-]*(?=[\\/])",
)
# Paths that start with a letter: drives and URL schemes, searched only when the text has ":".
DRIVE_PATHS = re.compile(
    rf"(?:[A-Za-z](?<![A-Za-z0-9/].):(?:[\\/]+(?i:users|documents and settings)[\\/]+"
    rf"(?:{_USERSEG})|(?=[\\/]+{SEG}))"
    rf"|(?i:file)(?<![A-Za-z0-9].{{4}}):/{{2,}}(?:[A-Za-z]:|{_COMP})?"
    rf"|(?i:cifs)(?<![A-Za-z0-9].{{4}}):/{{2,}}{_COMP}"
    rf"|(?i:smb|afp|nfs)(?<![A-Za-z0-9].{{3}}):/{{2,}}{_COMP}){REST}"
)
PATH_SPLIT = re.compile(r"[\\/]+")

_EXTENSIONS = """
    json jsonl ndjson csv tsv txt text log md rst yaml yml toml ini cfg conf env properties
    py pyc pyi pyx ipynb sh bash zsh ps1 bat cmd js mjs ts html htm xml css sql r jl
    db sqlite sqlite3 parquet arrow feather avro orc pkl pickle joblib npy npz mat
    pt pth bin safetensors ckpt h5 hdf5 keras pb onnx tflite gguf ggml ggjt model msgpack
    engine plan trt mlmodel tiktoken spm vocab merges
    tar gz tgz bz2 xz zst zip 7z rar whl egg
    png jpg jpeg gif bmp tif tiff webp svg ico wav mp3 flac ogg m4a mp4 avi mov mkv webm
    pdf doc docx xls xlsx ppt pptx odt ods epub
    lock so dll dylib exe out err pid sock tmp bak swp patch diff crt pem pub
"""
#: Extensions that make a last path part a file name worth keeping.
FILE_EXTENSIONS = frozenset(_EXTENSIONS.split())
_HTTP_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ")


def build_path_re(home: str) -> re.Pattern[str]:
    """The pattern for paths that start with ``/ \\ ~``, the scrubber's own home tried first.

    Paths that start with a letter (``C:\\``, ``file://``) are :data:`DRIVE_PATHS`, except a
    home folder on a drive, which is tried first here as well.
    """
    alternatives = list(_SLASH_PATHS)
    stripped = home.rstrip("/\\")
    if len(stripped) >= 3:
        parts = PATH_SPLIT.split(stripped)  # "/home/a" -> ["", "home", "a"]
        if parts[0]:
            head = parts[0][0]
            first = f"[{re.escape(head.lower())}{re.escape(head.upper())}]"
            literal = r"[\\/]+".join([re.escape(parts[0][1:]), *map(re.escape, parts[1:])])
        else:
            first, literal = r"[\\/]", r"[\\/]*" + r"[\\/]+".join(map(re.escape, parts[1:]))
        # The lookbehind stops "////..." from restarting the leading separator run at every
        # position, which would make this quadratic.
        alternatives.insert(0, rf"{first}(?<![\\/].)(?i:{literal})(?!{SEG})")
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(rf"(?:{joined}){REST}")


def is_file_name(part: str) -> bool:
    """True for ``train.jsonl`` or ``model-00001-of-00002.safetensors``, not ``client-project``."""
    stem, dot, ext = part.rpartition(".")
    return bool(dot) and bool(stem.strip(".")) and ext.lower() in FILE_EXTENSIONS


def path_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    whole = match.group(0)
    if whole[0] == "/" and match.string[: match.start()].endswith(_HTTP_METHODS):
        return whole  # "GET /v1/chat/completions": a route, not a folder
    if whole[0] == "~" and "/" not in whole and "\\" not in whole:
        return whole  # "~5 minutes" is not a path
    bump(counts, "path")
    if whole[-1] in "/\\":
        return "[path]/"
    last = PATH_SPLIT.split(whole)[-1]
    return "[path]/" + last if is_file_name(last) else "[path]"
