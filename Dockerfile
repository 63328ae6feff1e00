# The JIPPNas app image (used by docker-compose.yml; not built on the development machine,
# which has no Docker engine).
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
ENV JIPPNAS_DATA_DIR=/data
EXPOSE 8000
CMD ["jippnas", "demo", "--host", "0.0.0.0", "--port", "8000"]
