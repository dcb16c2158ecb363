"""Plots of a search's trials, drawn without switching matplotlib's backend."""


def plot_sigma_w2(rows, path, objective, title):
    """A PNG of the score against `sigma_w2` (log axis), coloured by
    `sigma_b2`, with the critical `sigma_w2` at the smallest and the largest
    `sigma_b2` of the trials marked; None without a scored trial.

    The rows need `score`, `sigma_w2`, `sigma_b2`, `critical_sigma_w2` and
    `sigma_w2_ratio`, best first (see `summarize`).
    """
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter

    done = [row for row in rows if row["score"] is not None]
    if not done:
        return None
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.subplots()
    points = axes.scatter(
        [row["sigma_w2"] for row in done],
        [row["score"] for row in done],
        c=[row["sigma_b2"] for row in done],
        norm=LogNorm(),
        zorder=3,
    )
    figure.colorbar(points, ax=axes, label="$\\sigma_b^2$")
    by_sigma_b2 = sorted(done, key=lambda row: row["sigma_b2"])
    for row, style in zip((by_sigma_b2[0], by_sigma_b2[-1]), ("--", ":"), strict=True):
        axes.axvline(
            row["critical_sigma_w2"],
            color="black",
            linestyle=style,
            label=f"critical $\\sigma_w^2$ = {row['critical_sigma_w2']:.3g} "
            f"at $\\sigma_b^2$ = {row['sigma_b2']:.2g}",
        )
        if len(done) == 1:
            break
    best = done[0]
    axes.scatter(
        best["sigma_w2"], best["score"], s=250, marker="*", color="red", zorder=4,
        label=f"best: $\\sigma_w^2$ = {best['sigma_w2']:.3g} "
        f"({best['sigma_w2_ratio']:.2f} x critical)",
    )  # fmt: skip
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes.xaxis.set_minor_formatter(FormatStrFormatter("%g"))
    axes.set_xlabel("$\\sigma_w^2$")
    axes.set_ylabel(objective.name)
    axes.set_title(title)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return path
