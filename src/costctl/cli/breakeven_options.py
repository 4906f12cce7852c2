"""The flags of `costctl breakeven self-host` (declarations only)."""

from __future__ import annotations

from typing import Annotated

import typer

ParamsB = Annotated[float | None, typer.Option("--params-b", help="Model size, billions of parameters.")]
Precision = Annotated[str, typer.Option(help="Weights: fp16, bf16, fp8, int8, int4.")]
KvPrecision = Annotated[
    str | None, typer.Option(help="KV cache precision (default fp8 for 8-bit weights, else fp16).")
]
Architecture = Annotated[str | None, typer.Option(help="Architecture preset (llama-3-8b, llama-3-70b, ...).")]
Layers = Annotated[int | None, typer.Option(help="Layers (with --kv-heads, --head-dim, --hidden).")]
KvHeads = Annotated[int | None, typer.Option(help="KV heads.")]
HeadDim = Annotated[int | None, typer.Option(help="Head dimension.")]
Hidden = Annotated[int | None, typer.Option(help="Hidden size.")]
Gpu = Annotated[
    str | None, typer.Option("--gpu", help="GPU id from the GPU table (h100-sxm, a100-80g-sxm, l40s, ...).")
]
Gpus = Annotated[
    int | None, typer.Option("--gpus", help="GPUs per replica (tensor parallel); default smallest that fits.")
]
GpuOffer = Annotated[
    str | None, typer.Option(help="Rental offer from the GPU table (e.g. lambda-2x, aws-p5).")
]
GpuPrice = Annotated[str | None, typer.Option(help="USD per instance-hour (overrides the table).")]
GpusPerInstance = Annotated[int | None, typer.Option(help="GPUs per rented instance (with --gpu-price).")]
InputLen = Annotated[int, typer.Option("--input-len", help="Input tokens per request.")]
OutputLen = Annotated[int, typer.Option("--output-len", help="Output tokens per request.")]
Efficiency = Annotated[
    float, typer.Option(help="η_sys: measured ÷ roofline (default 0.5, docs/breakeven.md#efficiency).")
]
Mbu = Annotated[float, typer.Option(help="Memory-bandwidth utilisation inside the roofline.")]
Mfu = Annotated[float, typer.Option(help="FLOP utilisation inside the roofline.")]
TpotMs = Annotated[
    float | None, typer.Option("--tpot-ms", help="Time-per-output-token SLO; limits the batch.")
]
Throughput = Annotated[
    float | None,
    typer.Option("--throughput", help="Measured output tok/s per replica (checked against the roofline)."),
]
ApiModel = Annotated[list[str] | None, typer.Option("--api-model", help="API model to compare; repeatable.")]
ApiPricePerMtok = Annotated[
    str | None, typer.Option(help="A flat API price, USD per 1M tokens (input and output).")
]
TokensPerMonth = Annotated[str | None, typer.Option(help="Monthly volume in tokens (input + output).")]
RequestsPerMonth = Annotated[str | None, typer.Option(help="Monthly volume in requests.")]
PeakToAverage = Annotated[str, typer.Option(help="Peak ÷ average load (3 interactive, 1 batch).")]
MaxUtilisation = Annotated[str, typer.Option(help="Max sustained utilisation ρ_max.")]
Spares = Annotated[int, typer.Option(help="Spare replicas (1 = N+1).")]
OpsFte = Annotated[str, typer.Option(help="Ops labour, FTE.")]
OpsSalary = Annotated[str, typer.Option(help="Loaded cost of one FTE per year, USD.")]
