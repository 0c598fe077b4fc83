"""Fixed benign values: real model and dataset ids, class names, tokens, URLs and sentences.

Kept apart from the generators in _corpus_benign.py so both stay short. ``split_items`` reads the
compact ``a | b | c`` blocks used here and there.
"""

from __future__ import annotations


def split_items(text: str) -> list[str]:
    """Items separated by `` | `` or new lines: short lists stay short under the formatter."""
    return [item.strip() for line in text.strip().splitlines() for item in line.split(" | ")]


MODELS = split_items(
    """
    meta-llama/Llama-3.1-8B-Instruct | meta-llama/Llama-3.2-1B | meta-llama/Llama-2-7b-hf
    mistralai/Mistral-7B-v0.1 | mistralai/Mixtral-8x7B-Instruct-v0.1 | Qwen/Qwen2.5-7B-Instruct
    Qwen/Qwen2-0.5B | google/gemma-2-9b-it | google/flan-t5-base | microsoft/phi-2
    microsoft/Phi-3-mini-4k-instruct | tiiuae/falcon-7b | EleutherAI/pythia-410m
    bigscience/bloom-560m | HuggingFaceTB/SmolLM2-135M | openai-community/gpt2
    facebook/opt-350m | TinyLlama/TinyLlama-1.1B-Chat-v1.0
    deepseek-ai/deepseek-coder-6.7b-base | stabilityai/stablelm-2-1_6b
    NousResearch/Hermes-3-Llama-3.1-8B | unsloth/llama-3-8b-bnb-4bit | bert-base-uncased
    sentence-transformers/all-MiniLM-L6-v2 | allenai/OLMo-7B | 01-ai/Yi-6B
    ybelkada/opt-350m-lora | timdettmers/guanaco-7b
    """
)
DATASETS = split_items(
    """
    tatsu-lab/alpaca | databricks/databricks-dolly-15k | HuggingFaceH4/ultrachat_200k
    Open-Orca/OpenOrca | timdettmers/openassistant-guanaco | yahma/alpaca-cleaned | openai/gsm8k
    cais/mmlu | allenai/c4 | wikitext | HuggingFaceFW/fineweb-edu | teknium/OpenHermes-2.5
    Anthropic/hh-rlhf | stanfordnlp/imdb | rajpurkar/squad_v2 | glue | lmsys/lmsys-chat-1m
    garage-bAInd/Open-Platypus | mlabonne/orpo-dpo-mix-40k | HuggingFaceH4/no_robots
    tatsu-lab/alpaca_eval | bigcode/the-stack-smol | argilla/distilabel-intel-orca-dpo-pairs
    nvidia/HelpSteer2 | openbmb/UltraFeedback | Salesforce/wikitext
    """
)
CLASSES = split_items(
    """
    LlamaForCausalLM | AutoModelForCausalLM | PeftModelForCausalLM | LoraConfig
    Qwen2ForCausalLM | MistralForCausalLM | BitsAndBytesConfig | TrainingArguments
    DataCollatorForLanguageModeling | SFTTrainer | AutoTokenizer | PreTrainedTokenizerFast
    GemmaForCausalLM | T5ForConditionalGeneration | LoraModel | PrefixTuningConfig | IA3Config
    AdaLoraConfig | Phi3ForCausalLM | DPOTrainer | GPTNeoXForCausalLM
    BertForSequenceClassification | AcceleratorState | DeepSpeedEngine
    FullyShardedDataParallel
    """
)
TOKENS = split_items(
    """
    <|eot_id|> | </s> | <s> | <|im_start|> | <|im_end|> | <|begin_of_text|> | [INST] | [/INST]
    <unk> | <pad> | <|endoftext|> | ▁the | <|start_header_id|> | <mask> | [CLS] | [SEP]
    <|user|> | <|assistant|> | <bos> | <eos> | <end_of_turn> | <start_of_turn> | Ġhello
    <|reserved_special_token_0|> | <|fim_prefix|>
    """
)
URLS = split_items(
    """
    https://huggingface.co/docs/peft/index
    https://huggingface.co/docs/transformers/main/en/peft
    https://pytorch.org/docs/stable/notes/cuda.html
    https://github.com/huggingface/peft/issues/1234 | https://arxiv.org/abs/2106.09685
    https://arxiv.org/pdf/2305.14314 | https://docs.python.org/3/library/json.html
    https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct | https://github.com/huggingface/trl
    https://huggingface.co/datasets/tatsu-lab/alpaca | https://pypi.org/project/peft/
    https://docs.nvidia.com/deploy/nccl-user-guide/index.html | https://wandb.ai/site
    https://huggingface.co/models?sort=trending
    https://github.com/pytorch/pytorch/releases/tag/v2.3.1
    https://en.wikipedia.org/wiki/Low-rank_approximation
    https://www.deepspeed.ai/getting-started/
    https://huggingface.co/docs/accelerate/usage_guides/fsdp
    https://developer.nvidia.com/cuda-downloads | https://peps.python.org/pep-0440/
    https://github.com/artidoro/qlora#readme | https://docs.vllm.ai/en/latest/
    https://opentelemetry.io/docs/specs/otlp/
    https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard
    https://www.example.com/ | https://docs.ray.io/en/latest/train/train.html
    """
)
ENGLISH = split_items(
    """
    the secret to good loss curves is a sane learning rate | press any key to continue
    the key insight is that low-rank updates suffice | token budget exhausted, stopping generation
    evaluate at the end of each epoch
    dot product attention scales with the square root of the head size
    we met at the lab to compare runs | the loss plateaued at 1.23 after warmup
    keep your secrets out of event properties | a password manager is a good idea
    primary key collision in the results table | this is the key step of the recipe
    throughput dropped at night | look at the dot plot before trusting the mean
    the tokenizer splits rare words into several tokens | secret sauce: more data
    Training finished in record time | Adapter merged into the base model
    the run was cancelled by the scheduler | gradients exploded at step 1200
    saving the best checkpoint by eval loss | validation accuracy improved again
    all ranks joined the barrier | dataset shuffled with a fixed seed
    at least one tensor was on the wrong device | the dot in the version string matters
    Token counts are approximate | Users can opt out at any time
    nothing to upload, the queue is empty | resuming from the last checkpoint
    the model card explains the license | who holds the key to the server room?
    early stopping triggered after three evaluations without improvement
    mixed precision halves memory for activations | she said the secret was patience
    """
)
# name=JSON value; several names merely sound like secrets (token, key, auth).
HYPERPARAMETERS = """
max_tokens=512 | lora_alpha=16 | lora_dropout=0.05 | learning_rate=0.0002 | r=8
target_modules=["q_proj", "v_proj"] | pad_token="</s>" | eos_token_id=2
num_train_epochs=3 | token_count=12345 | max_new_tokens=256 | bf16=true
gradient_accumulation_steps=4 | warmup_ratio=0.03 | lr_scheduler_type="cosine"
tokenizer_name="meta-llama/Llama-3.1-8B-Instruct" | num_tokens=2048
tokens_per_second=1834.5 | bos_token="<s>" | max_seq_length=4096 | seed=42
special_tokens=["<|im_start|>", "<|im_end|>"] | auth_required=false
per_device_train_batch_size=8 | weight_decay=0.0 | optim="paged_adamw_8bit"
key_count=7 | use_cache=false | task_type="CAUSAL_LM" | bias="none"
"""
