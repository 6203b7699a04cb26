# /// script
# requires-python = ">=3.10"
# dependencies = [
#     "marimo",
#     "numpy==2.1.3",
# ]
# ///

import marimo

__generated_with = "0.13.15"
app = marimo.App(width="medium", app_title="Probability: week 3")


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        r"""
    # Week 3: Conditional probability

    _Lecture notes, written in class and tidied afterwards._

    The probability of $A$ given $B$ is  
    $$P(A \mid B) = \frac{P(A \cap B)}{P(B)}, \quad P(B) > 0.$$

    /// note | Reading
    Chapter 2 of the course book, sections 2.1 to 2.4.
    ///
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        r"""
    ## Bayes' rule

    Swap the roles of $A$ and $B$:  
    $$P(A \mid B) = \frac{P(B \mid A)\,P(A)}{P(B)}$$

    1. Write down the prior $P(A)$.
    2. Compute the likelihood $P(B \mid A)$.  
       Indented continuation with a hard break.
    3. Normalise.
    """
    )
    return


@app.cell
def _(mo):
    prior = mo.ui.slider(0.0, 1.0, step=0.01, value=0.01, label="prior P(disease)")
    sensitivity = mo.ui.slider(0.5, 1.0, step=0.01, value=0.95, label="sensitivity")
    specificity = mo.ui.slider(0.5, 1.0, step=0.01, value=0.9, label="specificity")
    mo.vstack([prior, sensitivity, specificity])
    return prior, sensitivity, specificity


@app.cell
def _(prior, sensitivity, specificity):
    p_pos = sensitivity.value * prior.value + (1 - specificity.value) * (1 - prior.value)
    posterior = sensitivity.value * prior.value / p_pos
    return p_pos, posterior


@app.cell(hide_code=True)
def _(mo, p_pos, posterior):
    mo.md(
        rf"""
    A positive test happens with probability **{p_pos:.3f}**;  
    given a positive test, the posterior is **{posterior:.3f}**.

    > "Extraordinary claims require extraordinary evidence" — the prior matters.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        r"""
    ## Exercises

    - [ ] Show that $P(A \mid B)$ is a probability measure.
    - [ ] A test with 99% sensitivity and 99% specificity; prior 1 in 10 000.  
          What is the posterior? (Answer: about 1%.)

    ```python
    def bayes(prior, sens, spec):
        return sens * prior / (sens * prior + (1 - spec) * (1 - prior))
    ```
    """
    )
    return


@app.cell
def _():
    import marimo as mo
    import numpy as np
    return mo, np


@app.cell
def _(np):
    rng = np.random.default_rng(0)
    draws = rng.random(10_000) < 0.3
    draws.mean()
    return


if __name__ == "__main__":
    app.run()
