"""The ``kg`` command: argument parsing and output only; the work is done in the core.

Subcommands: ``validate`` (SHACL §3.6 validation report, :mod:`kg.validation`,
:mod:`kg.report`), ``query`` (SPARQL 1.1 Query over the store, :mod:`kg.store`;
results in the SPARQL 1.1 Query Results CSV/JSON formats; or a named query of the
catalogue with ``--name`` and ``--param``, :mod:`kg.named_queries`), ``queries`` (the
catalogue of named queries), ``stats``
(:mod:`kg.stats`), ``export`` (Turtle, TriG, N-Quads, JSON-LD; :mod:`kg.export`),
``fmt`` (canonical serialisation, :mod:`kg.canonical`), ``serve`` (:mod:`kg.web`) and
``publish`` (into a remote SPARQL store, :mod:`kg.publish`). ``query``, ``stats``,
``export`` and ``serve`` take ``--store URL`` to work on a remote store's publication
(:mod:`kg.remote_store`) instead of the files.

Global options are built from :data:`kg.settings.SETTINGS_FIELDS` (``--root``
↔ ``KG_ROOT``, ``--sources-dir`` ↔ ``KG_SOURCES_DIR``) and may be given before or
after the subcommand. Progress and timing go to stderr unless ``--quiet``.

Exit codes (pySHACL's convention, :mod:`kg.errors`): ``0`` success (the data
conforms, the files are canonical); ``1`` validation violations (with
``--strict`` also warnings and infos) or, for ``fmt --check``, files not in
canonical form; ``2`` broken input (a file that does not parse, a missing path,
a bad query, a bad option). Errors are one ``error: ...`` line on stderr and a
``hint: ...`` line where there is something to suggest, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kg import __version__, named_queries
from kg.canonical import format_files
from kg.dataset import data_files, expand, ontology_files, shapes_files
from kg.errors import (
    EXIT_BROKEN_INPUT,
    EXIT_NONCONFORMING,
    EXIT_OK,
    BrokenInputError,
    KgError,
    QueryError,
    StoreError,
)
from kg.export import EXPORT_FORMATS, serialize, write_atomic
from kg.linked_data import LANGUAGES
from kg.report import QUERY_FORMATS, REPORT_FORMATS, render, render_query_results
from kg.settings import SETTINGS_FIELDS, Settings, in_scope
from kg.stats import STATS_FORMATS, compute_stats, render_stats
from kg.store import KnowledgeGraph
from kg.validation import validate

__all__ = ["build_parser", "main"]

Progress = Callable[[str], None]

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  success: the data conforms, the files are canonical
  {EXIT_NONCONFORMING}  validate: violations (with --strict also warnings and infos);
     fmt --check: files not in canonical form
  {EXIT_BROKEN_INPUT}  broken input: a file that does not parse, a missing path,
     a bad SPARQL query or option
"""


# ----------------------------------------------------------------- parser


def _add_global_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    """``--root`` etc. from the settings' metadata, and ``--quiet``.

    In subcommands the defaults are suppressed, so that an option given before
    the subcommand is not reset by the subcommand's default.
    """
    group = parser.add_argument_group("global options")
    _add_settings(group, "global", suppress_default=in_subcommand)
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="Do not print progress and timing to stderr.",
    )


def _add_settings(
    group: argparse._ArgumentGroup, scope: str, *, suppress_default: bool = False
) -> None:
    """One option per setting of ``scope`` (``"global"`` or a command), from :mod:`kg.settings`."""
    for f in SETTINGS_FIELDS:
        if not in_scope(f.metadata.get("scope", ()), scope):
            continue
        env = f.metadata.get("env")
        text = f.metadata.get("help", "")
        text = f"{text} Environment: {env}." if env else text
        option = "--" + f.name.replace("_", "-")
        default = argparse.SUPPRESS if suppress_default else None
        if f.type in ("bool", bool):
            group.add_argument(option, dest=f.name, action="store_true", default=default, help=text)
            continue
        if f.name == "data":
            group.add_argument(
                option,
                dest=f.name,
                type=Path,
                nargs="+",
                metavar="PATH",
                default=default,
                help=text,
            )
            continue
        group.add_argument(
            option,
            dest=f.name,
            type=_parser_for(f.metadata["parse"], option),
            metavar=f.metadata.get("metavar") or f.name.upper(),
            default=default,
            help=text,
        )


def _parser_for(parse: Callable[[str], object], option: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{option}: {exc}") from exc

    run.__name__ = option
    return run


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kg``."""
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Integration Policy Knowledge Graph: validate, query, export and format.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    _add_global_options(parser, in_subcommand=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=textwrap.fill(description, 78),
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_global_options(p, in_subcommand=True)
        return p

    p = command(
        "validate",
        "SHACL-validate the data against the shapes",
        "SHACL-validate the data files (default: data/**/*.trig) against shapes/*.ttl, "
        "with the ontology's class hierarchy. Results name the file describing each focus node.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATHS",
        help="data files or folders to validate (default: data/ of the root)",
    )
    p.add_argument("--format", choices=REPORT_FORMATS, default="text", help="(default: text)")
    p.add_argument("--strict", action="store_true", help="warnings and infos also fail (exit 1)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report here")
    p.set_defaults(func=_cmd_validate)

    p = command(
        "query",
        "run a SPARQL query over the store",
        "Run a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query over the union of all graphs "
        "(GRAPH ?g {...} still sees the named graphs). The project prefixes are declared. "
        "CONSTRUCT and DESCRIBE print Turtle.",
    )
    p.add_argument("sparql", nargs="?", metavar="SPARQL", help="the query text")
    p.add_argument(
        "-f", "--file", type=Path, metavar="FILE.rq", help="read the query from a file ('-': stdin)"
    )
    p.add_argument(
        "-n",
        "--name",
        metavar="NAME",
        help="run the named query NAME of queries/ (see: kg queries)",
    )
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of the named query (repeat for each); unset ones take their default",
    )
    p.add_argument(
        "--format",
        choices=(*QUERY_FORMATS, "rows"),
        default="table",
        help="(default: table) rows: the simple rows JSON; with --name, csv adds a "
        "<column>_label column for IRIs",
    )
    p.add_argument("--lang", choices=LANGUAGES, default="de", help="labels' language (default: de)")
    _add_settings(p.add_argument_group("store options"), "query")
    p.set_defaults(func=_cmd_query)

    p = command(
        "queries",
        "list the named queries",
        "List the named queries of queries/ (the research questions): name, title, parameters "
        "with type, class and default, and the example.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="(default: text)")
    p.add_argument("--lang", choices=LANGUAGES, default="de", help="titles' language (default: de)")
    p.set_defaults(func=_cmd_queries)

    p = command(
        "stats",
        "triples per graph and instances per class",
        "Print the number of triples per named graph and of instances per class.",
    )
    p.add_argument("--format", choices=STATS_FORMATS, default="text", help="(default: text)")
    _add_settings(p.add_argument_group("store options"), "stats")
    p.set_defaults(func=_cmd_stats)

    p = command(
        "export",
        "export ontology and data in one file",
        "Export the ontology graph and all data graphs: turtle (union of the graphs), "
        "trig, nquads or jsonld (named graphs kept).",
    )
    p.add_argument("--format", choices=list(EXPORT_FORMATS), default="trig", help="(default: trig)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    _add_settings(p.add_argument_group("store options"), "export")
    p.set_defaults(func=_cmd_export)

    p = command(
        "fmt",
        "rewrite RDF files in the canonical serialisation",
        "Rewrite ontology/*.ttl, shapes/*.ttl and data/**/*.trig (or PATHS) in the canonical "
        "serialisation. No file is written if any file does not parse.",
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATHS", help="files or folders")
    p.add_argument(
        "--check", action="store_true", help="only list files not canonical (exit 1 if any)"
    )
    p.set_defaults(func=_cmd_fmt)

    p = command(
        "serve",
        "validate the data and serve the SPARQL endpoint",
        "Validate ontology and data (refusing to start, with the report, if they do not "
        "conform), load them into the embedded store and serve the SPARQL 1.1 Protocol "
        "endpoint at /sparql. Every option can also be set by its environment variable.",
    )
    _add_settings(p.add_argument_group("server options"), "serve")
    p.set_defaults(func=_cmd_serve)

    p = command(
        "publish",
        "validate the data and load it into a remote SPARQL store",
        "Validate ontology and data (nothing is sent if they do not conform), then load them "
        "with their named graphs and the merge of all graphs into the remote store given by "
        "--store. The first publication is loaded in place; later ones load only the graphs "
        "that changed (by content digest, kept in the store's manifest) into new staging "
        "graphs and switch them in with one update request; everything is counted again. "
        "Loading: Oxigraph's bulk loader with --store-gsp on Oxigraph, else the Graph Store "
        "Protocol with --store-gsp, else SPARQL Update. "
        "Credentials come from KG_STORE_USER and KG_STORE_PASSWORD. Exit 2 if the store "
        "cannot be reached, refuses, or does not hold what was sent.",
    )
    p.add_argument(
        "--accept-store-changes",
        action="store_true",
        help="switch even if the store changed statements while storing them (listed as "
        "warnings; Virtuoso rewrites xsd:duration literals); default: nothing is switched",
    )
    _add_settings(p.add_argument_group("store options"), "publish")
    p.set_defaults(func=_cmd_publish)
    return parser


# ----------------------------------------------------------------- helpers


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {f.name: getattr(args, f.name, None) for f in SETTINGS_FIELDS}
    data = overrides.get("data")
    if data is not None:
        overrides["data"] = tuple(data)
    if overrides.get("skip_validation") is False:
        overrides["skip_validation"] = None
    try:
        settings = Settings.from_env(**overrides)
    except ValueError as exc:
        raise BrokenInputError(str(exc)) from exc
    if not settings.root.is_dir():
        raise BrokenInputError(
            "project directory not found; give --root DIR or set KG_ROOT", path=settings.root
        )
    return settings


def _progress(args: argparse.Namespace) -> Progress | None:
    if getattr(args, "quiet", False):
        return None

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    return say


def _shown(path: Path) -> str:
    """``path`` relative to the working directory where it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:
        sys.stdout.write(data.decode("utf-8"))


def _emit(text: str, output: Path | None, progress: Progress | None) -> None:
    if output is None:
        _write_stdout(text.encode("utf-8"))
        return
    write_atomic(output, text.encode("utf-8"))
    if progress:
        progress(f"wrote {_shown(output)}")


def _load(settings: Settings, progress: Progress | None) -> KnowledgeGraph:
    start = time.perf_counter()
    kg = KnowledgeGraph.open(settings)
    if progress and settings.remote:
        progress(
            f"store {settings.store}: {len(kg)} triples in {len(kg.graphs())} graphs "
            f"({time.perf_counter() - start:.2f} s)"
        )
    elif progress:
        files = kg.report.files
        progress(
            f"loaded {files} {'file' if files == 1 else 'files'}, {len(kg)} triples "
            f"in {time.perf_counter() - start:.2f} s"
        )
    return kg


def _read_query(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BrokenInputError("no such query file", path=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BrokenInputError(f"cannot read query file: {exc}", path=path) from exc


# ----------------------------------------------------------------- commands


def _cmd_validate(args: argparse.Namespace) -> int:
    progress = _progress(args)
    outcome = validate(
        _settings(args), list(args.paths) or None, strict=args.strict, progress=progress
    )
    _emit(render(outcome, args.format), args.output, progress)
    return outcome.exit_code


def _cmd_query(args: argparse.Namespace) -> int:
    if args.name is not None:
        return _cmd_named_query(args)
    if args.param:
        raise QueryError("--param gives the parameters of a named query: add --name NAME")
    if (args.sparql is None) == (args.file is None):
        raise QueryError("give the query either as an argument or with --file FILE.rq")
    sparql = args.sparql if args.file is None else _read_query(args.file)
    progress = _progress(args)
    kg = _load(_settings(args), progress)
    start = time.perf_counter()
    if args.format == "rows":
        text = named_queries.render_rows(kg, kg.query(sparql), lang=args.lang)
    else:
        text = render_query_results(kg.query(sparql), args.format)
    if progress:
        progress(f"query answered in {time.perf_counter() - start:.2f} s")
    _emit(text, None, progress)
    return EXIT_OK


def _cmd_named_query(args: argparse.Namespace) -> int:
    if args.sparql is not None or args.file is not None:
        raise QueryError("give either --name NAME or a query (an argument or --file), not both")
    try:
        raw = named_queries.parameter_list(args.param)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    settings = _settings(args)
    query = named_queries.Catalogue.load(named_queries.directory(settings)).get(args.name)
    binding = query.bind(raw)
    progress = _progress(args)
    kg = _load(settings, progress)
    start = time.perf_counter()
    text = named_queries.render(kg, binding, args.format, lang=args.lang)
    if progress:
        progress(f"{query.name} answered in {time.perf_counter() - start:.2f} s")
    _emit(text, None, progress)
    return EXIT_OK


def _cmd_queries(args: argparse.Namespace) -> int:
    catalogue = named_queries.Catalogue.load(named_queries.directory(_settings(args)))
    _emit(named_queries.listing(catalogue, args.format, lang=args.lang), None, None)
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace) -> int:
    kg = _load(_settings(args), _progress(args))
    _emit(render_stats(compute_stats(kg), args.format), None, None)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    progress = _progress(args)
    data = serialize(_load(_settings(args), progress), args.format)
    if args.output is None:
        _write_stdout(data)
    else:
        write_atomic(args.output, data)
        if progress:
            progress(f"wrote {len(data)} bytes to {_shown(args.output)}")
    return EXIT_OK


def _cmd_fmt(args: argparse.Namespace) -> int:
    if args.paths:
        paths = expand(args.paths)
    else:
        settings = _settings(args)
        paths = [*ontology_files(settings), *shapes_files(settings), *data_files(settings)]
    results = format_files(paths, check=args.check)
    changed = [r.path for r in results if r.changed]
    progress = _progress(args)
    if args.check:
        for path in changed:
            print(f"not canonical: {_shown(path)}")
        if changed:
            noun = "file is" if len(changed) == 1 else "files are"
            print(f"{len(changed)} of {len(results)} {noun} not canonical; run: kg fmt")
            return EXIT_NONCONFORMING
        if progress:
            progress(f"{len(results)} files are canonical")
        return EXIT_OK
    for path in changed:
        print(f"reformatted {_shown(path)}")
    if progress:
        progress(f"{len(changed)} reformatted, {len(results) - len(changed)} unchanged")
    return EXIT_OK


# ----------------------------------------------------------------- errors


def _cmd_serve(args: argparse.Namespace) -> int:
    from kg.web import server  # the web stack is imported only to serve

    settings = _settings(args)
    progress = _progress(args)
    start = time.perf_counter()
    # A remote store serves what kg publish validated; the local files are not served.
    if not settings.skip_validation and not settings.remote:
        paths = expand(list(settings.data)) if settings.data else None
        outcome = validate(settings, paths, progress=progress)
        if not outcome.conforms:
            sys.stderr.write(render(outcome, "text"))
            print(
                "error: the data does not conform to the shapes; not serving it.\n"
                "hint: fix the violations above, then run: kg validate",
                file=sys.stderr,
            )
            return EXIT_NONCONFORMING
    return server.run(settings, progress=progress, started=start)


def _cmd_publish(args: argparse.Namespace) -> int:
    from kg import publish
    from kg.query_service import DataVersion
    from kg.remote_store import Endpoints, RemoteStore
    from kg.store import served_files

    settings = _settings(args)
    if not settings.remote:
        raise BrokenInputError(
            "kg publish needs the remote store: give --store URL (its SPARQL query URL) and "
            "--store-update URL, or set KG_STORE and KG_STORE_UPDATE"
        )
    endpoints = Endpoints.from_settings(settings)
    progress = _progress(args)
    start = time.perf_counter()
    paths = expand(list(settings.data)) if settings.data else None
    outcome = validate(settings, paths, progress=progress)
    if not outcome.conforms:
        sys.stderr.write(render(outcome, "text"))
        print(
            "error: the data does not conform to the shapes; nothing was published.\n"
            "hint: fix the violations above, then run: kg validate",
            file=sys.stderr,
        )
        return EXIT_NONCONFORMING
    kg = _load(_embedded(settings), progress)  # the files, as validated
    version = DataVersion.of_files(served_files(settings))
    store = RemoteStore(endpoints, timeout=publish.REQUEST_TIMEOUT)
    try:
        report = publish.publish(
            kg,
            store,
            version=version.digest,
            modified=version.modified,
            progress=progress,
            accept_changes=args.accept_store_changes,
        )
    finally:
        store.close()
    if progress:
        progress(
            f"published {report.triples} triples ({report.quads} in {report.graphs} named graphs) "
            f"to {report.store} as publication {report.generation} ({report.summary()}) "
            f"in {report.seconds:.2f} s "
            f"(switch {report.switch_seconds:.2f} s; {time.perf_counter() - start:.2f} s with "
            "validation)"
        )
    if report.changes:
        print(
            f"warning: the store changed {len(report.changes)} statements while storing them "
            "(listed above); answers involving them differ from the files",
            file=sys.stderr,
        )
    return EXIT_OK


def _embedded(settings: Settings) -> Settings:
    """The same settings with the embedded store (the files, as validated)."""
    from dataclasses import replace

    from kg.settings import EMBEDDED

    return replace(settings, store=EMBEDDED)


def _hint(error: KgError) -> str | None:
    if isinstance(error, named_queries.UnknownQuery):
        return "kg queries lists the named queries"
    if isinstance(error, named_queries.InvalidParameters):
        return "kg queries lists each query's parameters with type and default"
    if isinstance(error, StoreError):
        return (
            "check --store (and --store-update, --store-gsp for kg publish) and the store's "
            "credentials in KG_STORE_USER and KG_STORE_PASSWORD; see README, Deployment"
        )
    if isinstance(error, QueryError) and "syntax error" in str(error):
        return (
            "check the query at the position shown; the project prefixes "
            "(ipo:, person:, office:, skos:, ...) are declared for you"
        )
    if isinstance(error, BrokenInputError):
        if error.detail.startswith("syntax error"):
            return (
                "fix the Turtle/TriG syntax at that line or just before it (often a missing "
                "'.' or ';', or an unclosed '\"', '<' or '['); then run: kg fmt --check"
            )
        if error.detail.startswith("invalid RDF"):
            return "fix the IRI or language tag named above"
    return None


def _print_error(error: KgError) -> None:
    if isinstance(error, BrokenInputError) and error.path is not None:
        where = _shown(error.path) + (f":{error.line}" if error.line is not None else "")
        message = f"{where}: {error.detail}"
    else:
        message = str(error)
    print(f"error: {message}", file=sys.stderr)
    hint = _hint(error)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kg`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse: code 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BROKEN_INPUT
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_BROKEN_INPUT
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KgError as error:
        _print_error(error)
        return error.exit_code
    except BrokenPipeError:  # e.g. `kg export | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
