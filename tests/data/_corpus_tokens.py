"""Secret classes for provider tokens, each in realistic context (keys and headers: _corpus_auth).

Each builder returns ``(input, secrets)`` pairs; ``{s}`` in a template is the generated secret.
Contexts are what a host application actually records: error messages, CLI lines, config dumps
and nested event properties.
"""

from __future__ import annotations

from collections.abc import Callable

from _corpus_auth import AUTH_CLASSES
from _corpus_gen import B64, Case, Gen, Make, many


def single(fn: Callable[[Gen], str]) -> Make:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        value = fn(gen)
        return {"s": value}, [value]

    return make


def aws_id(g: Gen) -> list[Case]:
    t = [
        "botocore.exceptions.ClientError: InvalidAccessKeyId: The AWS Access Key Id {s} "
        "does not exist",
        "export AWS_ACCESS_KEY_ID={s}",
        {"aws": {"access_key_id": "{s}", "region": "us-east-1"}},
        "[default]\naws_access_key_id = {s}\nregion = eu-west-1",
        "s3 upload failed (credential={s}/20240601/us-east-1/s3/aws4_request)",
        {"event": "upload_failed", "detail": "key {s} lacks s3:PutObject"},
        "Access key ID,Secret access key\n{s},<see vault>",
        ["aws", "configure", "set", "aws_access_key_id", "{s}"],
        "using credentials {s} from environment",
    ]
    return many(g, t, single(Gen.aws_id))


def aws_secret(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        secret = gen.aws_secret()
        return {"s": secret, "id": gen.aws_id()}, [secret]

    t = [
        "[default]\naws_access_key_id = {id}\naws_secret_access_key = {s}\n",
        'export AWS_SECRET_ACCESS_KEY="{s}"',
        {"Credentials": {"AccessKeyId": "{id}", "SecretAccessKey": "{s}"}},
        "Access key ID,Secret access key\n{id},{s}",
        "boto3.client('s3', aws_access_key_id='{id}', aws_secret_access_key='{s}')",
        "creds loaded: {id} / {s}",
        {"s3_settings": "{id}:{s}"},
        "AWS credentials {id} {s} rejected: SignatureDoesNotMatch",
        ["--aws-access-key-id", "{id}", "--aws-secret-access-key", "{s}"],
        "s3://{id}:{s}@bucket-name/prefix",
    ]
    return many(g, t, make)


def anthropic(g: Gen) -> list[Case]:
    t = [
        "ANTHROPIC_API_KEY={s}",
        "anthropic.AuthenticationError: invalid x-api-key {s}",
        {"headers": {"x-api-key": "{s}", "anthropic-version": "2023-06-01"}},
        "curl https://api.anthropic.com/v1/messages -H 'x-api-key: {s}'",
        {"judge": {"provider": "anthropic", "credential": "{s}"}},
        'client = Anthropic(api_key="{s}")',
        "eval config loaded: {s} (claude judge)",
        ["--judge-key", "{s}"],
    ]
    return many(g, t, single(Gen.anthropic))


def openai(g: Gen) -> list[Case]:
    t = [
        "openai.AuthenticationError: Error code: 401 - invalid key {s}",
        "OPENAI_API_KEY={s}",
        {"judge": {"model": "gpt-4o-mini", "key": "{s}"}},
        "Authorization: Bearer {s}",
        "client = OpenAI(api_key='{s}')",
        "loaded judge credentials {s} from .env",
        ["eval.py", "--openai-key", "{s}"],
        {"env": {"OPENAI_API_KEY": "{s}"}},
        "retrying with {s} after 429",
    ]
    return many(g, t, single(Gen.openai))


def github(g: Gen) -> list[Case]:
    t = [
        "git clone https://{s}@github.com/acme/private-repo.git",
        "GITHUB_TOKEN={s}",
        "remote: Invalid username or token {s}. Password authentication is not supported.",
        {"push_to_hub": {"repo": "acme/adapter", "gh": "{s}"}},
        "gh auth login --with-token <<< {s}",
        "Authorization: token {s}",
        ["gh", "secret", "set", "HF_SYNC", "--body", "{s}"],
        "pip install git+https://x-access-token:{s}@github.com/acme/lib.git",
        "ci credential in use: {s}",
    ]
    return many(g, t, single(Gen.github))


def gitlab(g: Gen) -> list[Case]:
    t = [
        "git clone https://oauth2:{s}@gitlab.com/acme/models.git",
        "PRIVATE-TOKEN: {s}",
        "GITLAB_TOKEN={s}",
        {"registry": {"url": "https://gitlab.example.com", "token_value": "{s}"}},
        "curl --header 'PRIVATE-TOKEN: {s}' https://gitlab.com/api/v4/projects",
        "gitlab-runner register --token {s}",
        "401 Unauthorized for {s}",
        ["glab", "auth", "login", "--token", "{s}"],
    ]
    return many(g, t, single(Gen.gitlab))


def npm(g: Gen) -> list[Case]:
    t = [
        "//registry.npmjs.org/:_authToken={s}",
        "NPM_TOKEN={s}",
        "npm ERR! 403 Forbidden - token {s} lacks publish rights",
        {"npmrc": "//registry.npmjs.org/:_authToken={s}\nalways-auth=true"},
        "export NODE_AUTH_TOKEN={s}",
        "publishing viewer with {s}",
        ["npm", "publish", "--//registry.npmjs.org/:_authToken={s}"],
        {"ci": {"npm": "{s}"}},
    ]
    return many(g, t, single(Gen.npm))


def pypi(g: Gen) -> list[Case]:
    t = [
        "[pypi]\nusername = __token__\npassword = {s}\n",
        "twine upload -u __token__ -p {s} dist/*",
        "UV_PUBLISH_TOKEN={s}",
        {"publish": {"index": "pypi", "credential": "{s}"}},
        "HTTPError: 403 Forbidden from https://upload.pypi.org/legacy/ using {s}",
        ["uv", "publish", "--token", "{s}"],
        "poetry config pypi-token.pypi {s}",
        "TWINE_PASSWORD={s} twine upload dist/*",
    ]
    return many(g, t, single(Gen.pypi))


def slack(g: Gen) -> list[Case]:
    t = [
        "SLACK_BOT_TOKEN={s}",
        "slack_sdk.errors.SlackApiError: invalid_auth for token {s}",
        {"notify": {"channel": "#training", "bot": "{s}"}},
        "curl -H 'Authorization: Bearer {s}' https://slack.com/api/chat.postMessage",
        "notifier configured with {s}",
        ["--slack-token", "{s}"],
        "WebClient(token='{s}')",
        {"callbacks": [{"type": "slack", "auth": "{s}"}]},
    ]
    return many(g, t, single(Gen.slack))


def slack_webhook(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        url, secret = gen.slack_webhook()
        return {"s": url}, [secret]

    t = [
        "posting run summary to {s}",
        {"notify": {"webhook": "{s}"}},
        "SLACK_WEBHOOK_URL={s}",
        "requests.exceptions.HTTPError: 404 Client Error: Not Found for url: {s}",
        "curl -X POST -d @payload.json {s}",
        {"callbacks": ["{s}"]},
        ["--webhook", "{s}"],
        "webhook={s}&retries=3",
    ]
    return many(g, t, make)


def stripe(g: Gen) -> list[Case]:
    t = [
        "STRIPE_SECRET_KEY={s}",
        "stripe.error.AuthenticationError: Invalid API Key provided: {s}",
        {"billing": {"stripe": "{s}", "currency": "eur"}},
        "curl https://api.stripe.com/v1/charges -u {s}:",
        "stripe.api_key = '{s}'",
        ["stripe", "listen", "--api-key", "{s}"],
        "metering export uses {s}",
        {"env": [{"name": "STRIPE_KEY", "value": "{s}"}]},
        "restricted key {s} cannot read invoices",
    ]
    return many(g, t, single(Gen.stripe))


def google(g: Gen) -> list[Case]:
    t = [
        "https://generativelanguage.googleapis.com/v1beta/models?key={s}",
        "GOOGLE_API_KEY={s}",
        "google.api_core.exceptions.PermissionDenied: 403 API key not valid: {s}",
        {"gemini": {"judge": True, "credential": "{s}"}},
        'genai.configure(api_key="{s}")',
        "translate call failed for {s}",
        ["--gcp-key", "{s}"],
        {"oauth": {"client_id": "1234.apps.googleusercontent.com", "client_cfg": "{s}"}},
        "maps tile fetch with {s} throttled",
    ]
    return many(g, t, single(Gen.google))


def sendgrid(g: Gen) -> list[Case]:
    t = [
        "SENDGRID_API_KEY={s}",
        "python_http_client.exceptions.UnauthorizedError: HTTP Error 401 for {s}",
        {"mail": {"provider": "sendgrid", "credential": "{s}"}},
        "sg = SendGridAPIClient('{s}')",
        "Authorization: Bearer {s}",
        "alert mailer configured ({s})",
        ["--sendgrid", "{s}"],
        {"alerts": [{"via": "email", "with": "{s}"}]},
    ]
    return many(g, t, single(Gen.sendgrid))


def twilio(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        secret = gen.twilio()
        return {"s": secret, "sid": "AC" + gen.s("0123456789abcdef", 32)}, [secret]

    t = [
        "TWILIO_AUTH_TOKEN={s}",
        "client = Client('{sid}', '{s}')",
        {"sms": {"account_sid": "{sid}", "auth_token": "{s}"}},
        "twilio.base.exceptions.TwilioRestException: HTTP 401 error: Authenticate ({sid}:{s})",
        "curl -u {sid}:{s} https://api.twilio.com/2010-04-01/Accounts.json",
        "sms notifier: sid={sid} secret={s}",
        ["twilio", "login", "--auth-token", "{s}"],
        "twilio credentials {sid} {s}",
        {"notify": {"sms": ["{sid}", "{s}"]}},
    ]
    return many(g, t, make)


def azure(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        secret = gen.azure_key()
        short = gen.mixed(B64, 43) + "="
        name = gen.pick(["acmestore", "mlartifacts01", "globexdata", "runlogs"])
        return {"s": secret, "short": short, "acct": name}, [secret, short]

    cs = "DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={s};"
    cs += "EndpointSuffix=core.windows.net"
    sb = "Endpoint=sb://{acct}.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={short}"
    t = [
        cs + "|" + sb,
        'AZURE_STORAGE_CONNECTION_STRING="' + cs + '" (' + sb + ")",
        {"storage": {"connection": cs, "bus": sb}},
        "azure.core.exceptions.ClientAuthenticationError: Server failed to authenticate. "
        + cs
        + " "
        + sb,
        "AccountKey={s} and SharedAccessKey={short}",
        [cs, sb],
        "blob upload via " + cs + "; events via " + sb,
        {"sinks": [{"kind": "azure_blob", "conn": cs}, {"kind": "bus", "conn": sb}]},
    ]
    return many(g, t, make)


def discord(g: Gen) -> list[Case]:
    t = [
        "DISCORD_TOKEN={s}",
        "discord.errors.LoginFailure: Improper token has been passed: {s}",
        {"bot": {"name": "train-notifier", "cred": "{s}"}},
        "client.run('{s}')",
        "Authorization: Bot {s}",
        "notifier started with {s}",
        ["--discord", "{s}"],
        {"callbacks": [{"discord": "{s}"}]},
    ]
    return many(g, t, single(Gen.discord))


def discord_webhook(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        url, secret = gen.discord_webhook()
        return {"s": url}, [secret]

    t = [
        "posting eval results to {s}",
        {"notify": {"discord": "{s}"}},
        "DISCORD_WEBHOOK={s}",
        "HTTPError: 429 Too Many Requests for url: {s}?wait=true",
        "curl -H 'Content-Type: application/json' -d '{}' {s}",
        ["--webhook-url", "{s}"],
        {"hooks": ["{s}"]},
        "webhook {s} returned 401",
    ]
    return many(g, t, make)


def huggingface(g: Gen) -> list[Case]:
    t = [
        "HF_TOKEN={s}",
        "huggingface-cli login --token {s}",
        "huggingface_hub.errors.HfHubHTTPError: 401 Client Error: Invalid credentials in "
        "Authorization header ({s})",
        {"push_to_hub": True, "hub_model_id": "acme/lora-adapter", "hub_cred": "{s}"},
        "git clone https://user:{s}@huggingface.co/acme/private-model",
        'login(token="{s}")',
        ["train.py", "--push_to_hub", "--hub_token", "{s}"],
        "Authorization: Bearer {s}",
        "downloading gated model with {s}",
        {"env": {"HUGGING_FACE_HUB_TOKEN": "{s}"}},
    ]
    return many(g, t, single(Gen.hf))


TOKEN_CLASSES: list[tuple[str, Callable[[Gen], list[Case]]]] = [
    ("token:aws_id", aws_id),
    ("token:aws_secret", aws_secret),
    ("token:anthropic", anthropic),
    ("token:openai", openai),
    ("token:github", github),
    ("token:gitlab", gitlab),
    ("token:npm", npm),
    ("token:pypi", pypi),
    ("token:slack", slack),
    ("token:slack_webhook", slack_webhook),
    ("token:stripe", stripe),
    ("token:google", google),
    ("token:sendgrid", sendgrid),
    ("token:twilio", twilio),
    ("token:azure", azure),
    ("token:discord", discord),
    ("token:discord_webhook", discord_webhook),
    ("token:huggingface", huggingface),
    *AUTH_CLASSES,
]
