"""Benign look-alikes: values a fine-tuning app records that must come out of the scrubber as-is.

Nothing here is something the product scrubs on purpose (IP addresses, MAC addresses, absolute
paths, e-mails): this corpus measures false positives, not policy. Numbers are checked against
the same validators the secret corpus satisfies, so a "benign" 15-digit id really fails Luhn and
an IBAN-shaped group really fails mod-97.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from _corpus_gen import DIGITS, IBAN_SPECS, Gen
from _corpus_lists import (
    CLASSES,
    DATASETS,
    ENGLISH,
    HYPERPARAMETERS,
    MODELS,
    TOKENS,
    URLS,
    split_items,
)
from stdnum import iban as stdnum_iban
from stdnum import luhn

Builder = Callable[[Gen], list[Any]]


def versions(g: Gen) -> list[Any]:
    fixed = split_items(
        """
        1.2.3 | v2.0.0-rc1 | 2.1.0+cu121 | 0.13.4.post1 | 1.0.0.dev20240501 | torch==2.3.1+cu121
        transformers>=4.40,<5 | peft 0.12.0 | Python 3.11.7 | CUDA 12.1 | cuDNN 8.9.2
        driver 535.104.05 | 4.44.2 | v0.6.1 | 3.0.0a4
        bitsandbytes-0.43.1-py3-none-manylinux_2_24_x86_64.whl | trl~=0.9
        """
    )
    made = [f"{g.r.randint(0, 5)}.{g.r.randint(0, 40)}.{g.r.randint(0, 20)}" for _ in range(8)]
    made += [
        f"v{g.r.randint(1, 3)}.{g.r.randint(0, 9)}.{g.r.randint(0, 9)}-beta.{g.r.randint(1, 5)}"
        for _ in range(4)
    ]
    return fixed + made


def model_ids(g: Gen) -> list[Any]:
    return [*MODELS, *(f"loading weights for {m}" for m in MODELS[:4])]


def dataset_ids(g: Gen) -> list[Any]:
    return [*DATASETS, "tatsu-lab/alpaca:train[:10%]", "loaded cais/mmlu (all)"]


def hyper_keys(g: Gen) -> list[Any]:
    pairs = (item.split("=", 1) for item in split_items(HYPERPARAMETERS))
    pool: dict[str, Any] = {k: json.loads(v) for k, v in pairs}
    keys = list(pool)
    out = [{k: pool[k]} for k in keys]
    for _ in range(10):
        out.append({k: pool[k] for k in g.r.sample(keys, g.r.randint(3, 7))})
    return out


def hyper_text(g: Gen) -> list[Any]:
    return split_items(
        """
        learning_rate=2e-4 | --max-tokens 512 | --lora-alpha 16 | pad_token="</s>"
        --max_new_tokens=256 | max_tokens: 1024
        --num-train-epochs 3 --per-device-train-batch-size 4 | eos_token='<|eot_id|>'
        --tokenizer-name meta-llama/Llama-3.1-8B-Instruct | lora_dropout=0.05
        r=16, lora_alpha=32, target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj']
        --lr-scheduler-type cosine --warmup-ratio 0.03 | max_seq_length=2048 | --seed 1234
        gradient_checkpointing=True | --bf16 --optim paged_adamw_32bit | pad_token_id=128001
        --max-token-length 8192 | num_tokens=4096 | weight_decay: 0.01
        --gradient-accumulation-steps 8 | --report-to none | bnb_4bit_quant_type=nf4
        --load-in-4bit | temperature=0.7, top_p=0.9 | --eval-steps 500 --save-steps 500
        """
    )


def relative_paths(g: Gen) -> list[Any]:
    return split_items(
        """
        data/train.jsonl | ./outputs/checkpoint-500 | ../configs/lora.yaml
        outputs/run-3/adapter_model.safetensors | src/peft/tuners/lora/layer.py
        ./adapter_config.json | logs/events.out.tfevents | configs/accelerate/fsdp.yaml
        ../data/eval.parquet | checkpoints/step-12000/optimizer.pt | scripts/train.sh
        results/metrics.csv | ./runs/2024-06-01_12-00-00 | data/processed/ | models/merged
        notebooks/explore.ipynb | tokenizer/tokenizer.json | wandb/latest-run/files/config.yaml
        ./ | ../ | outputs/checkpoint-1500/trainer_state.json | eval/mmlu/results.json
        README.md | docs/usage.md | saved to outputs/final | see configs/deepspeed_zero3.json
        """
    )


def cuda_errors(g: Gen) -> list[Any]:
    out: list[Any] = []
    for _ in range(10):
        total = g.pick([23.69, 79.15, 47.54, 10.75, 15.77, 39.39])
        alloc, gpu = round(g.r.uniform(0.1, 8), 2), g.r.randint(0, 7)
        used = round(total * g.r.uniform(0.6, 0.95), 2)
        out.append(
            f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate {alloc:.2f} GiB "
            f"(GPU {gpu}; "
            f"{total:.2f} GiB total capacity; {used:.2f} GiB already allocated; "
            f"{total - used:.2f} GiB free; "
            f"{used + 0.5:.2f} GiB reserved in total by PyTorch) If reserved memory is >> "
            "allocated memory try setting max_split_size_mb to avoid fragmentation."
        )
    return [
        *out,
        "RuntimeError: CUDA error: device-side assert triggered\nCUDA kernel errors might "
        "be asynchronously "
        "reported at some other API call, so the stacktrace below might be incorrect.\n"
        "For debugging consider passing CUDA_LAUNCH_BLOCKING=1.",
        "torch.distributed.DistBackendError: NCCL error in: "
        "../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1691, "
        "unhandled cuda error (run with NCCL_DEBUG=INFO for details), NCCL version 2.18.1",
        "ncclUnhandledCudaError: Call to CUDA function failed.",
        "[Rank 0] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1, "
        "OpType=ALLREDUCE, NumelIn=1, "
        "NumelOut=1, Timeout(ms)=600000) ran for 600042 milliseconds before timing out.",
        "RuntimeError: Expected all tensors to be on the same device, but found at least "
        "two devices, cuda:0 and cpu!",
        "ValueError: Attempting to unscale FP16 gradients.",
        "RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
        "RuntimeError: NCCL communicator was aborted on rank 3.",
        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB",
        "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED",
        "AssertionError: Torch not compiled with CUDA enabled",
        "RuntimeError: CUDA driver version is insufficient for CUDA runtime version",
        "NCCL WARN Cuda failure 'invalid device ordinal'",
        "RuntimeError: probability tensor contains either `inf`, `nan` or element < 0",
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: train.py FAILED",
    ]


def http_status(g: Gen) -> list[Any]:
    hub = "https://huggingface.co/api"
    return [
        *split_items(
            """
            HTTP/1.1 503 Service Unavailable | 429 Too Many Requests | HTTP/2 200
            HTTP/1.1 404 Not Found | 502 Bad Gateway | HTTP/1.0 500 Internal Server Error
            401 Unauthorized | 403 Forbidden | HTTP/1.1 301 Moved Permanently | 504 Gateway Timeout
            HTTP/1.1 413 Payload Too Large
            Retry-After: 120 | status=503 retry_in=30s | HTTP Error 400: Bad Request
            Connection reset by peer | upload returned 200 OK | HTTP/1.1 204 No Content
            418 I'm a teapot | HTTP/1.1 206 Partial Content | Read timed out. (read timeout=10)
            HTTP/2 307 Temporary Redirect
            ReadTimeoutError: HTTPSConnectionPool(host='huggingface.co', port=443): Read timed out.
            """
        ),
        "huggingface_hub.utils._errors.HfHubHTTPError: 500 Server Error: Internal Server Error"
        f" for url: {hub}/models/meta-llama/Llama-3.1-8B-Instruct",
        "requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: "
        f"{hub}/datasets/tatsu-lab/alpaca",
    ]


def times(g: Gen) -> list[Any]:
    out = []
    for _ in range(12):
        y, mo, d = 2023 + g.r.randint(0, 2), g.r.randint(1, 12), g.r.randint(1, 28)
        h, mi, s = g.r.randint(0, 23), g.r.randint(0, 59), g.r.randint(0, 59)
        base = f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        out.append(
            g.pick(
                [
                    base + "Z",
                    base + f".{g.s(DIGITS, 6)}+00:00",
                    base + "+02:00",
                    base.replace("T", " ") + f",{g.s(DIGITS, 3)}",
                ]
            )
        )
    return out + split_items(
        """
        PT2H15M | P1DT2H | 0:12:34.56 | ETA 01:23:45 | elapsed=3h12m | 1d 02:03:04
        [00:42<01:23, 1.23it/s] | took 12.5s | 20240601T081530Z | 2024-06-01 | 12:00:00
        step time 0.84 s/it | timeout after 600s | Mon, 03 Jun 2024 10:00:00 GMT | 450ms
        """
    )


def digests(g: Gen) -> list[Any]:
    hexd = "0123456789abcdef"
    out = [g.s(hexd, 40) for _ in range(5)] + [f"commit {g.s(hexd, 40)}" for _ in range(3)]
    out += [f"sha256:{g.s(hexd, 64)}" for _ in range(5)] + [g.s(hexd, 64) for _ in range(3)]
    out += [f"revision={g.s(hexd, 40)}" for _ in range(3)] + [
        f"HEAD is now at {g.s(hexd, 7)}" for _ in range(3)
    ]
    out += [f'etag: "{g.s(hexd, 64)}"' for _ in range(2)] + [
        f"snapshot {g.s(hexd, 12)}" for _ in range(2)
    ]
    out += [{"model_revision": g.s(hexd, 40), "dataset_sha256": g.s(hexd, 64)} for _ in range(3)]
    return out


def uuids(g: Gen) -> list[Any]:
    ids = [str(uuid.UUID(int=g.r.getrandbits(128), version=4)) for _ in range(26)]
    return (
        ids[:10]
        + [f"run_id={i}" for i in ids[10:15]]
        + [{"run_id": i} for i in ids[15:20]]
        + [f"trace {i} finished" for i in ids[20:24]]
        + [i.upper() for i in ids[24:]]
    )


def templates(g: Gen) -> list[Any]:
    return split_items(
        """
        ${HF_HOME}/hub | ${OUTPUT_DIR}/checkpoint-500 | {{ model_name }} | %(name)s
        {model_name}-lora | $HF_HOME | ${WANDB_PROJECT:-peft} | {{ run_id }}-{{ step }}
        %(asctime)s %(levelname)s %(message)s | {epoch:02d}-{step} | {{ secret_name }}
        ${API_TOKEN} | $(date +%s) | %s/%s | {0}.{1} | <%= version %> | {{ .Values.image.tag }}
        ${{ secrets.HF_TOKEN }} | %{model} | {key}={value} | {{ api_key }} | ${PASSWORD}
        checkpoint-{step} | run-{{ uuid }} | %(token)s
        """
    )


def _no_card_window(digits: list[str]) -> bool:
    """True when no run of whole groups could be read as a card or an IMEI (Luhn)."""
    for i in range(len(digits)):
        run = ""
        for group in digits[i:]:
            run += group
            if 13 <= len(run) <= 19 and luhn.is_valid(run):  # any prefix: IMEIs have none
                return False
    return True


def numbers(g: Gen) -> list[Any]:
    out: list[Any] = []
    while len(out) < 8:
        n = g.digits(15)
        if not luhn.is_valid(n):
            out.append(g.pick(["id ", "job ", "request ", ""]) + n)
    for country in list(IBAN_SPECS)[:6]:
        while True:  # wrong check digits, and no group run that is a card or an IMEI
            good = g.iban(country)
            bad = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
            groups = [bad[j : j + 4] for j in range(0, len(bad), 4)]
            digit_groups = [x for x in groups[1:] if x.isdigit()]
            if not stdnum_iban.is_valid(bad) and _no_card_window(digit_groups):
                out.append(" ".join(groups))
                break
    while len(out) < 20:
        groups = [g.s(DIGITS, 4) for _ in range(g.r.randint(4, 5))]
        if _no_card_window(groups):
            out.append("order " + " ".join(groups))
    out += [f"epoch_ms={1700000000000 + g.r.randint(0, 10**11)}" for _ in range(4)]
    out += [f"step {g.r.randint(1, 100000)}/{g.r.randint(100000, 200000)}" for _ in range(3)]
    out += [
        "seed 42",
        "seed=1234",
        "3.14159",
        "1e-5",
        "0.0002",
        "1,024 tokens",
        "-1",
        "100%",
        {"step": 500, "loss": 1.2345, "epoch": 0.5},
        {"seed": 3407, "global_step": 12000},
    ]
    return out


def argv_and_pairs(g: Gen) -> list[Any]:
    """Flags and pairs whose names sound like secrets but hold settings (the argv/pairs rules)."""
    texts = split_items(
        """
        train.py --max-tokens 512 --lora-alpha 16 | eval.py --max-new-tokens 256 --top-p 0.9
        accelerate launch train.py --num-processes 8 --pad-token '</s>' --eos-token-id 2
        train.py --tokenizer-name Qwen/Qwen2.5-7B-Instruct --token-budget 4096
        serve.py --key-field text --port 8080 | eval.py --secret-sauce-weight 0.5
        train.py --passes 3 --keyed-by step | export.py --keys step,loss --format csv
        """
    )
    argvs = [t.split() for t in texts[:4]] + [
        ["--model_name_or_path", "meta-llama/Llama-3.1-8B-Instruct", "--output_dir", "outputs/a"],
        ["--dataset", "tatsu-lab/alpaca", "--max_tokens", "1024", "--bos_token", "<s>"],
    ]
    pairs = [
        [["lora_alpha", 16], ["max_tokens", 512], ["pad_token", "</s>"]],
        [["num_tokens", 2048], ["token_count", 77], ["eos_token_id", 2]],
        "dict_items([('lora_alpha', 16), ('max_new_tokens', 256), ('pad_token', '</s>')])",
        "[('learning_rate', 0.0002), ('key_count', 3), ('tokenizer', 'gpt2')]",
        {"generation_config": {"max_new_tokens": 256, "eos_token_id": [128001, 128009]}},
        "{'lora_alpha': 16, 'max_tokens': 512, 'bos_token': '<s>'}",
    ]
    return texts + argvs + [{"argv": a} for a in argvs[4:]] + pairs


def simple(values: list[Any]) -> Builder:
    return lambda g: list(values)


BENIGN_CLASSES: list[tuple[str, Builder]] = [
    ("version", versions),
    ("model_id", model_ids),
    ("dataset_id", dataset_ids),
    ("hyperparam:key", hyper_keys),
    ("hyperparam:text", hyper_text),
    ("path:relative", relative_paths),
    ("error:cuda", cuda_errors),
    ("http_status", http_status),
    ("time", times),
    ("digest", digests),
    ("uuid", uuids),
    ("template", templates),
    ("number", numbers),
    ("tokenizer", simple(TOKENS)),
    ("class_name", simple(CLASSES)),
    ("english", simple(ENGLISH)),
    ("url:public", simple(URLS)),
    ("argv_pairs", argv_and_pairs),
]
