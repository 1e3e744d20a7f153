r"""The works the derivations cite, as BibTeX entries.

Every :class:`theory.symbolic.derivation.Reference` names one entry of :data:`BIBLIOGRAPHY` by its
key; the exported derivations cite it with ``\cite{key}``, ``theory derive`` writes the entries the
derivations use to ``derivations/references.bib`` and typesets them as the bibliography of each
file and of the book, and :func:`theory.citation` returns them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from theory.errors import ParameterError

__all__ = ["BibEntry", "BIBLIOGRAPHY", "get_entry", "bibtex", "thebibliography"]


@dataclass(frozen=True)
class BibEntry:
    """One BibTeX entry.

    Parameters
    ----------
    key:
        Citation key (``krishnamurthy2022``).
    kind:
        Entry type: ``article``, ``book``, ``inproceedings``, ``misc``.
    fields:
        BibTeX fields in order (``author`` as ``"Last, First and Last, First"``).
    """

    key: str
    kind: str
    fields: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str = "") -> str:
        for k, v in self.fields:
            if k == name:
                return v
        return default

    def bibtex(self) -> str:
        """The entry as BibTeX source."""
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in self.fields)
        return f"@{self.kind}{{{self.key},\n{body}\n}}\n"

    def authors(self) -> list[str]:
        """Last names of the authors."""
        return [a.split(",")[0].strip() for a in self.get("author").split(" and ")]

    def short(self) -> str:
        """Author–year label: ``Krishnamurthy et al. 2022``."""
        names = self.authors()
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who} {self.get('year')}"

    def plain(self) -> str:
        """One line of plain text: authors, title, venue, year."""
        names = ", ".join(self.authors())
        venue = self.get("journal") or self.get("booktitle") or self.get("publisher")
        vol = self.get("volume")
        pages = self.get("pages")
        parts = [names, self.get("title")]
        where = " ".join(p for p in (venue, vol) if p)
        if pages:
            where += f", {pages}"
        if where:
            parts.append(where)
        parts.append(f"({self.get('year')})")
        out = ", ".join(parts[:-1]) + " " + parts[-1]
        eprint = self.get("eprint")
        if eprint:
            out += f", arXiv:{eprint}"
        return out

    def bibitem(self) -> str:
        """A ``\\bibitem`` for a ``thebibliography`` environment."""
        names = self.get("author").split(" and ")
        shown = [_first_last(n) for n in names]
        who = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        venue = self.get("journal") or self.get("booktitle")
        title = self.get("title")
        if self.kind == "book":
            tail = f"{self.get('publisher')}, {self.get('year')}"
            if self.get("edition"):
                tail = f"{self.get('edition')} edition, " + tail
            text = f"{who}, \\emph{{{title}}}, {tail}."
        else:
            vol = self.get("volume")
            pages = self.get("pages")
            where = venue
            if vol:
                where += f" \\textbf{{{vol}}}"
            if pages:
                where += f", {pages}"
            text = f"{who}, {title}, " + (f"{where} " if where else "") + f"({self.get('year')})"
            if self.get("eprint"):
                text += f", arXiv:{self.get('eprint')}"
            text += "."
        return f"\\bibitem{{{self.key}}} {text}\n"


def _first_last(name: str) -> str:
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
        return f"{first} {last}"
    return name.strip()


def _e(key: str, kind: str, **fields: str) -> BibEntry:
    return BibEntry(key, kind, tuple(fields.items()))


#: key -> entry, for every work a registered derivation cites.
BIBLIOGRAPHY: dict[str, BibEntry] = {
    e.key: e
    for e in (
        _e(
            "krishnamurthy2022",
            "article",
            author="Krishnamurthy, Kamesh and Can, Tankut and Schwab, David J.",
            title="Theory of gating in recurrent neural networks",
            journal="Phys. Rev. X",
            volume="12",
            pages="011011",
            year="2022",
            doi="10.1103/PhysRevX.12.011011",
            eprint="2007.14823",
        ),
        _e(
            "kadmon2015",
            "article",
            author="Kadmon, Jonathan and Sompolinsky, Haim",
            title="Transition to chaos in random neuronal networks",
            journal="Phys. Rev. X",
            volume="5",
            pages="041030",
            year="2015",
            doi="10.1103/PhysRevX.5.041030",
        ),
        _e(
            "mastrogiuseppe2017",
            "article",
            author="Mastrogiuseppe, Francesca and Ostojic, Srdjan",
            title="Intrinsically-generated fluctuating activity in excitatory-inhibitory networks",
            journal="PLoS Comput. Biol.",
            volume="13",
            pages="e1005498",
            year="2017",
            doi="10.1371/journal.pcbi.1005498",
        ),
        _e(
            "crisanti2018",
            "article",
            author="Crisanti, A. and Sompolinsky, H.",
            title="Path integral approach to random neural networks",
            journal="Phys. Rev. E",
            volume="98",
            pages="062120",
            year="2018",
            doi="10.1103/PhysRevE.98.062120",
        ),
        _e(
            "sompolinsky1988",
            "article",
            author="Sompolinsky, H. and Crisanti, A. and Sommers, H. J.",
            title="Chaos in random neural networks",
            journal="Phys. Rev. Lett.",
            volume="61",
            pages="259",
            year="1988",
            doi="10.1103/PhysRevLett.61.259",
        ),
        _e(
            "crisanti2018",
            "article",
            author="Crisanti, A. and Sompolinsky, H.",
            title="Path integral approach to random neural networks",
            journal="Phys. Rev. E",
            volume="98",
            pages="062120",
            year="2018",
            doi="10.1103/PhysRevE.98.062120",
        ),
        _e(
            "feinberg1997",
            "article",
            author="Feinberg, Joshua and Zee, A.",
            title="Non-Hermitian random matrix theory: method of Hermitian reduction",
            journal="Nucl. Phys. B",
            volume="504",
            pages="579",
            year="1997",
            doi="10.1016/S0550-3213(97)00502-6",
        ),
        _e(
            "wainrib2013",
            "article",
            author="Wainrib, Gilles and Touboul, Jonathan",
            title="Topological and dynamical complexity of random neural networks",
            journal="Phys. Rev. Lett.",
            volume="110",
            pages="118101",
            year="2013",
            doi="10.1103/PhysRevLett.110.118101",
        ),
        _e(
            "girko1985",
            "article",
            author="Girko, V. L.",
            title="Circular law",
            journal="Theory Probab. Appl.",
            volume="29",
            pages="694",
            year="1985",
        ),
        _e(
            "ginibre1965",
            "article",
            author="Ginibre, Jean",
            title="Statistical ensembles of complex, quaternion, and real matrices",
            journal="J. Math. Phys.",
            volume="6",
            pages="440",
            year="1965",
            doi="10.1063/1.1704292",
        ),
        _e(
            "price1958",
            "article",
            author="Price, Robert",
            title="A useful theorem for nonlinear devices having Gaussian inputs",
            journal="IRE Trans. Inf. Theory",
            volume="4",
            pages="69",
            year="1958",
            doi="10.1109/TIT.1958.1057444",
        ),
        _e(
            "li2022",
            "article",
            author="Li, Zhong and Han, Jiequn and E, Weinan and Li, Qianxiao",
            title="Approximation and optimization theory for linear continuous-time recurrent "
            "neural networks",
            journal="J. Mach. Learn. Res.",
            volume="23",
            pages="1--85",
            year="2022",
            eprint="2009.07799",
        ),
        _e(
            "adamjan1971",
            "article",
            author="Adamjan, V. M. and Arov, D. Z. and Krein, M. G.",
            title="Analytic properties of Schmidt pairs for a Hankel operator and the generalized "
            "Schur--Takagi problem",
            journal="Math. USSR Sb.",
            volume="15",
            pages="31",
            year="1971",
        ),
        _e(
            "glover1984",
            "article",
            author="Glover, Keith",
            title="All optimal Hankel-norm approximations of linear multivariable systems and their "
            "$L^\\infty$-error bounds",
            journal="Int. J. Control",
            volume="39",
            pages="1115",
            year="1984",
            doi="10.1080/00207178408933239",
        ),
        _e(
            "kemeny1960",
            "book",
            author="Kemeny, John G. and Snell, J. Laurie",
            title="Finite Markov Chains",
            publisher="Van Nostrand",
            year="1960",
        ),
        _e(
            "meyn2009",
            "book",
            author="Meyn, Sean and Tweedie, Richard L.",
            title="Markov Chains and Stochastic Stability",
            edition="2nd",
            publisher="Cambridge University Press",
            year="2009",
        ),
        _e(
            "lam2023",
            "misc",
            author="Lam, Samuel Chun-Hei and Sirignano, Justin and Spiliopoulos, Konstantinos",
            title="Kernel limit of recurrent neural networks trained on ergodic data sequences",
            year="2023",
            eprint="2308.14555",
            archivePrefix="arXiv",
        ),
        _e(
            "williams1989",
            "article",
            author="Williams, Ronald J. and Zipser, David",
            title="A learning algorithm for continually running fully recurrent neural networks",
            journal="Neural Comput.",
            volume="1",
            pages="270",
            year="1989",
            doi="10.1162/neco.1989.1.2.270",
        ),
        _e(
            "jacot2018",
            "inproceedings",
            author="Jacot, Arthur and Gabriel, Franck and Hongler, Cl{\\'e}ment",
            title="Neural tangent kernel: convergence and generalization in neural networks",
            booktitle="Advances in Neural Information Processing Systems",
            volume="31",
            year="2018",
            eprint="1806.07572",
        ),
    )
}


def get_entry(key: str) -> BibEntry:
    """The entry of ``key``; unknown keys raise :class:`ParameterError`."""
    if key not in BIBLIOGRAPHY:
        raise ParameterError("citation key", key, f"one of {sorted(BIBLIOGRAPHY)}")
    return BIBLIOGRAPHY[key]


def bibtex(keys: Iterable[str]) -> str:
    """BibTeX source of the entries ``keys`` (each once, in the given order)."""
    seen: list[str] = []
    for k in keys:
        if k not in seen:
            get_entry(k)
            seen.append(k)
    return "\n".join(BIBLIOGRAPHY[k].bibtex() for k in seen)


def thebibliography(keys: Iterable[str]) -> str:
    """A ``thebibliography`` environment with the entries ``keys`` (numbered in that order)."""
    chosen: list[str] = []
    for k in keys:
        if k not in chosen:
            get_entry(k)
            chosen.append(k)
    items = "".join(BIBLIOGRAPHY[k].bibitem() for k in chosen)
    return f"\\begin{{thebibliography}}{{{len(chosen)}}}\n{items}\\end{{thebibliography}}\n"
