# The gateway in a container: python:3.11-slim, the locked dependencies, a user without privileges, var/ (the
# SQLite store, attachments, the Maildir) as a volume. Build: docker build -t intake-gateway .
# Run: docker run --env-file secrets.env -v gateway-var:/srv/gateway/var -v "$PWD/config:/srv/gateway/config:ro" \
#        -p 8080:8080 -p 2525:2525 intake-gateway
# (the mounted config/ must listen on 0.0.0.0 in [http] and [channels.email.smtp_intake]; see README, Deploying).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/gateway

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY adapters adapters
COPY gateway gateway
COPY normalizer normalizer
COPY ticketing ticketing
RUN pip install --no-deps . && rm -rf build *.egg-info

COPY config config
RUN useradd --system --uid 10001 --home-dir /srv/gateway --shell /usr/sbin/nologin gateway \
    && mkdir -p var && chown gateway:gateway var
USER gateway

VOLUME ["/srv/gateway/var"]
EXPOSE 8080 2525
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
ENTRYPOINT ["gateway"]
CMD ["run", "--config", "config/gateway.toml"]
