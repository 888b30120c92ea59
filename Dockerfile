# The agent in a container: git, bubblewrap and the agent with its extras, run as a non-root user
# on the repository mounted at /repo. A container alone is not a sandbox: see the README's
# "Docker" section for the `docker run` options that let bubblewrap work inside it.

# Build stage: a virtualenv holding the agent, so the final image carries no pip cache,
# no build tooling and no copy of the checkout.
FROM python:3.12-slim AS build
# Extras to install, comma-separated (aws = Bedrock, github = PR mode); empty for none.
ARG EXTRAS=aws,github
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /checkout
COPY pyproject.toml README.md ./
COPY src ./src
# ${EXTRAS:+[...]}: an empty EXTRAS installs the bare agent (pip refuses "path[]").
RUN python -m venv /opt/agent \
    && /opt/agent/bin/pip install "/checkout${EXTRAS:+[$EXTRAS]}"

FROM python:3.12-slim
# git: the agent works in git worktrees; bubblewrap: the sandbox for the target's code.
# Not pinned (DL3008): Debian drops superseded versions, so a pin breaks the build, not the image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*
# The mounted repository usually belongs to another uid than the container's user; git refuses
# such repositories unless they are marked safe, and /repo is the only one this image works on.
RUN useradd --create-home --uid 1000 --shell /bin/bash agent \
    && git config --system --add safe.directory '*'
COPY --from=build /opt/agent /opt/agent
ENV PATH=/opt/agent/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Numeric, so that runtimes checking runAsNonRoot can verify it.
USER 1000:1000
WORKDIR /repo
ENTRYPOINT ["agent"]
CMD ["--help"]
