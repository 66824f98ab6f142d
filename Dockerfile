# Waardenzeef: the same start path as `make run` (migrate, seed, serve), as a non-root user.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000

# Pango and HarfBuzz are what WeasyPrint needs for the PDF plan and code cards.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 waardenzeef
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN pip install -c constraints.txt -e .

COPY alembic.ini ./
COPY migrations ./migrations
COPY seeds ./seeds
RUN mkdir -p /app/var && chown waardenzeef:waardenzeef /app/var

USER waardenzeef
VOLUME ["/app/var"]
EXPOSE 8000
CMD ["sh", "-c", "waardenzeef migrate && waardenzeef seed korrewegwijk && exec waardenzeef serve"]
