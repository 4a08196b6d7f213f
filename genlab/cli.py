"""The ``genlab`` command line (``genlab --help`` prints :data:`USAGE`)."""

from __future__ import annotations

import argparse
import sys

from genlab import __version__

USAGE = """\
commands:
  genlab notebooks sync|check|viewer       the notebook pipeline
  genlab train vae --dataset digits|sprites|mnist --epochs N --device auto --out DIR
  genlab train gan --dataset mixture1d|ring|digits|sprites --objective ... --out DIR
  genlab grade SUBMISSION... --out DIR     batch grading of exercise notebooks
  genlab report DIR                        the class report of a graded folder, again
  genlab site build --out DIR              the course website
"""


def _notebooks(args: argparse.Namespace) -> int:
    from genlab import notebooks

    root = notebooks.repository_root(args.root)
    if args.action == "sync":
        changed = notebooks.sync(root)
        for path in changed:
            print(f"wrote {path.relative_to(root)}")
        print(f"{len(changed)} notebook(s) regenerated, {len(notebooks.sources(root))} in all")
        return 0
    if args.action == "check":
        problems = notebooks.out_of_sync(root)
        for line in problems:
            print(line)
        if problems:
            print("run `genlab notebooks sync` to regenerate the pairs", file=sys.stderr)
            return 1
        print(f"all {len(notebooks.sources(root))} notebook pairs in sync")
        return 0
    target = notebooks.install_viewer_setting()
    print(f"JupyterLab will open .py notebooks as notebooks (setting written to {target})")
    return 0


VAE_PRESET = {"digits": "digits", "sprites": "sprites", "mnist": "mnist"}
# Budgets that give a good model in seconds to a minute on a 2-core CPU: (epochs, lr).
VAE_DEFAULTS = {"digits": (100, 3e-3), "sprites": (10, 1e-3), "mnist": (10, 1e-3)}


def _train_vae(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torch

    from genlab import checkpoint, data
    from genlab.device import seed_everything
    from genlab.models import build_vae
    from genlab.plots import save_samples_figure
    from genlab.train import TrainConfig, Trainer, evaluate_elbo

    extra = {"root": args.mnist_root, "kind": args.mnist_kind} if args.dataset == "mnist" else {}
    if args.dataset == "mnist" and not args.mnist_root:
        raise SystemExit("genlab train vae --dataset mnist needs --mnist-root DIR (IDX files)")
    train = data.load(args.dataset, "train", **extra).images
    test = data.load(args.dataset, "test", **extra).images
    seed_everything(args.seed)
    model = build_vae(VAE_PRESET[args.dataset])
    epochs, lr = VAE_DEFAULTS[args.dataset]
    args.epochs = args.epochs or epochs
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr or lr,
        seed=args.seed,
        device=args.device,
        progress=not args.quiet,
    )
    trainer = Trainer(model, config)
    print(
        f"training {type(model).__name__} on {args.dataset} ({len(train)} images) "
        f"on {trainer.device} for {args.epochs} epochs"
    )
    history = trainer.fit(train)
    held_out = evaluate_elbo(model, test)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = checkpoint.save(model, out / "vae.pt", history=history)
    with torch.no_grad():
        originals = test[:8].to(trainer.device)
        figure = out / "samples.png"
        save_samples_figure(
            figure,
            model.sample(32, generator=torch.Generator(trainer.device).manual_seed(0)),
            originals,
            model.reconstruct(originals),
            title=f"{args.dataset}: held-out ELBO {held_out:.2f} nats",
        )
    print(
        f"{trainer.step} steps in {trainer.seconds:.1f} s "
        f"({trainer.step * config.batch_size / trainer.seconds:,.0f} samples/s)"
    )
    print(f"held-out ELBO: {held_out:.3f} nats per image ({len(test)} test images)")
    print(f"wrote {ckpt} and {figure}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genlab",
        description="The companion package of the course on VAEs and GANs.",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"genlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    nb = commands.add_parser("notebooks", help="keep py:percent sources and .ipynb pairs in step")
    nb.add_argument(
        "action",
        choices=("sync", "check", "viewer"),
        help="sync: regenerate every .ipynb; check: list pairs out of step (exit 1 if any); "
        "viewer: make JupyterLab open .py notebooks as notebooks",
    )
    nb.add_argument("--root", default=None, help="course folder (default: found from cwd)")
    nb.set_defaults(run=_notebooks)

    train = commands.add_parser("train", help="train a model and save a checkpoint")
    kinds = train.add_subparsers(dest="kind", required=True)
    vae = kinds.add_parser("vae", help="train a VAE on an image data set")
    vae.add_argument("--dataset", choices=sorted(VAE_PRESET), default="digits")
    vae.add_argument("--epochs", type=int, default=None, help="default: per data set")
    vae.add_argument("--batch-size", type=int, default=128)
    vae.add_argument("--lr", type=float, default=None, help="default: per data set")
    vae.add_argument("--seed", type=int, default=0)
    vae.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N, mps")
    vae.add_argument("--out", required=True, help="folder for vae.pt and samples.png")
    vae.add_argument("--mnist-root", default=None, help="folder holding MNIST IDX files")
    vae.add_argument("--mnist-kind", choices=("mnist", "fashion"), default="mnist")
    vae.add_argument("--quiet", action="store_true", help="no progress bar")
    vae.set_defaults(run=_train_vae)

    from genlab.gan_cli import add_gan_parser
    from genlab.grade_cli import add_grade_parser
    from genlab.site.cli import add_site_parser

    add_gan_parser(kinds)
    add_grade_parser(commands)
    add_site_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"genlab: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
