"""The ``litx`` command line (DESIGN.md §3)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pipeline import config

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Biomedical literature to a reconciled, provenance-backed dataset.")
err = Console(stderr=True)
out = Console()


@app.command()
def run(raw: Path = typer.Option(Path("raw"), help="Corpus folder."),
        out_dir: Path = typer.Option(Path("extracted"), "--out", help="Output folder."),
        runner: str = typer.Option("local", help="local (this machine, see --workers) or dask."),
        address: str = typer.Option(None, help="Dask scheduler address for --runner dask."),
        workers: int = typer.Option(
            1, help="Local worker processes for extraction (one per core suits a large first "
            "run; each takes ~4 s to start)."),
        excel_safe: bool = typer.Option(
            False, "--excel-safe", help="Also write OUT/excel/<table>.csv for spreadsheets: "
            "text cells starting with = + - @ get a leading '. The canonical CSVs keep the text.")
        ) -> None:
    """Run the whole Prefect flow on RAW and write the dataset to OUT."""
    from pipeline.errors import RuleError

    if not raw.is_dir():
        typer.echo(f"error: corpus folder {raw} does not exist", err=True)
        raise typer.Exit(2)
    config.prefect_env(Path.cwd())
    from pipeline.runner import RunnerError, run_flow

    try:
        summary = run_flow(raw, out_dir, runner=runner, address=address, console=err,
                           excel_safe=excel_safe, workers=workers)
    except RuleError as e:
        typer.echo(f"error: bad rule file: {e}", err=True)
        raise typer.Exit(2) from None
    except RunnerError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    _print_summary(summary, out_dir)


def _print_summary(summary, out_dir: Path) -> None:
    title = f"litx run -> {out_dir}"
    if summary.skipped:
        title += " (up to date: no input, rule or decision changed)"
    table = Table(title=title, show_header=False)
    table.add_row("documents", f"{summary.n_documents} ({summary.n_errors} failed)")
    for label, n in summary.mentions_by_label.items():
        table.add_row(f"mentions {label}", str(n))
    table.add_row("references", str(summary.n_references))
    table.add_row("overlapping passages", str(summary.n_overlaps))
    for key, value in summary.extra.items():
        table.add_row(key, str(value))
    out.print(table)
    for source, reason in summary.errors:
        # A file name may hold escape sequences or line breaks: show them, never run them.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in source)
        typer.echo(f"warning: {shown}: {reason}", err=True)


@app.command("extract")
def extract_cmd(files: list[Path] = typer.Argument(..., exists=False),
                fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv")) -> None:
    """Extract mentions from FILE... to stdout, without Prefect (a quick look at a paper)."""
    from pipeline import export, extract, ingest

    rows = []
    status = 0
    for path in files:
        doc = ingest.read(path, path.parent)
        if doc.status == "error":
            typer.echo(f"warning: {path}: {doc.error}", err=True)
            status = 1
            continue
        rows.extend(extract.document(doc).mentions)
    if fmt == "csv":
        sys.stdout.write(export.frame("mentions", rows).to_csv(index=False, lineterminator="\n"))
    else:
        for m in rows:
            record = export._as_dict(m)
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    raise typer.Exit(status)


@app.command()
def bench(docs: int = typer.Option(1000, help="Documents in the synthetic corpus."),
          dedup: bool = typer.Option(False, "--dedup", help="Also score planted overlaps."),
          workers: int = typer.Option(1, help="Worker processes for extraction, as in "
                                      "`litx run --workers`."),
          work: Path = typer.Option(None, help="Folder for the corpus and outputs (kept).")
          ) -> None:
    """Throughput benchmark on a synthetic corpus made from the seeds."""
    work = work or Path(tempfile.mkdtemp(prefix="litx-bench-"))
    # A Prefect home of its own: the first run must find no cached batches or dedup
    # signatures from an earlier benchmark of the same (seeded) corpus.
    home = work.resolve() / "prefect"
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(home / "storage")
    config.prefect_env(Path.cwd())
    from pipeline import bench as bench_mod

    res = bench_mod.run(docs, work, workers)
    floor = res["floor"]
    title = f"litx bench: {res['n_docs']} docs, {res['mb']:.1f} MB"
    if workers > 1:
        title += f", {workers} extraction workers (extract overlaps dedup)"
    table = Table(title=title)
    for col in ("stage", "seconds", "MB/s", "docs/s", "x floor time"):
        table.add_column(col, justify="right")
    for st in [floor, *res["stages"]]:
        table.add_row(st.name, f"{st.seconds:.2f}", f"{st.mb_s:.2f}", f"{st.docs_s:.0f}",
                      f"{st.seconds / floor.seconds:.1f}")
    out.print(table)
    if workers > 1:
        e2e = res["stages"][-1]
        cores = min(os.cpu_count() or 1, workers + 1)
        out.print(f"end to end per core: {e2e.mb_s / cores:.2f} MB/s ({cores} cores busy: "
                  f"{workers} extraction processes and this one); peak RSS of the largest "
                  f"worker process {res['worker_peak_rss_mb']:.0f} MB")
    out.print(f"unchanged re-run: {res['rerun_s']:.2f} s "
              f"({res['first_s'] / res['rerun_s']:.1f}x faster than the first run); "
              f"Prefect server start (not in the figures): {res['server_s']:.1f} s; "
              f"peak RSS {res['peak_rss_mb']:.0f} MB")
    cold = res["first_s"] + res["server_s"]
    out.print(f"unchanged `litx run` in a new process: {res['cli_rerun_s']:.2f} s "
              f"({cold / res['cli_rerun_s']:.1f}x faster than the first run plus the server "
              f"start, {cold:.1f} s)")
    stages = ", ".join(f"{k} {v:.2f}" for k, v in res["added_timings"].items())
    out.print(f"one document added: {res['added_s']:.2f} s "
              f"({res['first_s'] / res['added_s']:.1f}x faster than the first run; {stages}); "
              f"`litx run` in a new process: {res['cli_added_s']:.2f} s (its server start "
              "and imports included)")
    pdfs = res.get("pdf")
    if pdfs:
        out.print(f"PDF ingest: {pdfs['pages']} pages of {pdfs['files']} bench PDFs at "
                  f"{pdfs['pages_per_s']:.2f} pages/s ({pdfs['cpu_pages_per_s']:.2f} by CPU time)")
    if dedup:
        from pipeline import dedup_bench

        table = Table(title="litx bench --dedup: planted overlaps")
        for col in ("docs", "MB", "seconds", "CPU s", "MB/s", "precision", "recall"):
            table.add_column(col, justify="right")
        times = []
        for n in (docs, 10 * docs):
            r = dedup_bench.run(n)
            times.append(r["cpu_seconds"])
            table.add_row(str(n), f"{r['MB']:.1f}", f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
                          f"{r['MB/s']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}")
        out.print(table)
        out.print(f"dedup time {docs} -> {10 * docs} docs grows {times[1] / times[0]:.1f}x "
                  "(CPU time; all-pairs would grow 100x)")


@app.command("eval")
def eval_cmd(dataset_dir: Path = typer.Argument(..., help="Folder with docs/*.txt + gold*.jsonl"),
             label: str = typer.Option(None, help="Score only this label.")) -> None:
    """Precision/recall/F1 of extraction against a gold folder."""
    from pipeline import eval_citations, evaluate

    if (dataset_dir / "gold_groups.jsonl").exists() or (dataset_dir / "gold_fields.jsonl").exists():
        out.print(eval_citations.format_table(eval_citations.eval_dataset(dataset_dir)))
        return

    table = Table(title=f"litx eval {dataset_dir}")
    for col in ("set", "label", "match", "tp", "fp", "fn", "P", "R", "F1"):
        table.add_column(col)
    for row in evaluate.evaluate(dataset_dir, label):
        c = row.counts
        table.add_row(row.dataset, row.label, row.rule, str(c.tp), str(c.fp), str(c.fn),
                      f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}")
    out.print(table)


@app.command("review")
def review_cmd(out_dir: Path = typer.Option(Path("extracted"), "--out", help="Output folder."),
               port: int = typer.Option(8765, help="Port on 127.0.0.1 (0: any free port)."),
               raw: Path = typer.Option(Path("raw"), help="Corpus folder (for PDF pages)."),
               decisions: Path = typer.Option(config.RULES_DIR / "decisions.jsonl",
                                              help="Decisions file to append to.")) -> None:
    """Serve the page where curators decide conflicts, on 127.0.0.1 only."""
    from pipeline.review import make_server

    if not (out_dir / "conflicts.csv").is_file():
        typer.echo(f"warning: {out_dir / 'conflicts.csv'} not found; run `litx run` first",
                   err=True)
    try:
        server = make_server(out_dir, raw, decisions, port=port, verbose=True)
    except OSError as e:  # port taken: say so instead of a traceback
        typer.echo(f"error: cannot listen on 127.0.0.1:{port}: {e.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"litx review: {server.url}  (decisions -> {decisions}; Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    app()
