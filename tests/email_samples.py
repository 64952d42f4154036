"""Editions, keys and settings shared by the email tests (render, message, compose,
preview). Editions are built directly as values, the way the edition step hands them
over."""

from __future__ import annotations

import base64
import functools
from datetime import date

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from digest.links import Links
from digest.mail.compose import EditionComposer, MailSettings
from digest.mail.dkim import DkimSigner
from digest.models import Edition, EditionItem, ItemKind, Link
from digest.tokens import Tokens

SECRET = "test-secret-key-for-links-0123456789"
BASE_URL = "https://lebrief.ma"
DAY = date(2026, 11, 29)

_TOPS_FR = [
    (
        "Politique",
        "OTAN : le Maroc incontournable en terme de sécurité",
        "https://www.example-news.ma/politique/otan-maroc-securite",
        "Javier Colomina, haut responsable de l’OTAN, a souligné l’importance stratégique du Maroc lors de "
        "ses entretiens avec Nasser Bourita. Il a mis en avant la coopération pratique dans la lutte contre "
        "le terrorisme.",
        2,
        (Link("Coopération militaire : le Maroc et l’OTAN renforcent leurs liens", "https://autre.example/otan"),),
    ),
    (
        "Politique",
        "Le Parlement adopte la loi de finances 2027 en seconde lecture",
        "https://www.example-news.ma/politique/loi-finances-2027",
        "Les députés ont voté le texte par 201 voix contre 87. Le gouvernement table sur une croissance de "
        "3,6 % et un déficit ramené à 3,5 % du PIB.",
        4,
        (),
    ),
    (
        "Économie",
        "Inflation : les prix à la consommation reculent pour le troisième mois",
        "https://eco.example.ma/inflation-novembre",
        "L’indice des prix à la consommation a baissé de 0,3 % sur un mois, porté par les produits "
        "alimentaires frais. Sur un an, l’inflation revient à 1,8 %, son plus bas niveau depuis 2021.",
        3,
        (),
    ),
    (
        "Économie",
        "Le port de Tanger Med dépasse les 10 millions de conteneurs",
        "https://eco.example.ma/tanger-med-record",
        "Le complexe portuaire a franchi ce seuil symbolique dès novembre. Ses dirigeants misent sur "
        "l’extension du terminal 4 pour absorber la hausse du trafic.",
        3,
        (),
    ),
    (
        "Sport",
        "Coupe d’Afrique : les Lions de l’Atlas qualifiés pour les quarts de finale",
        "https://sport.example.ma/can-quarts",
        "Victoire 2-0 face au Sénégal, grâce à un doublé en seconde période. Le sélectionneur salue "
        "« un match de caractère » et une défense imperméable depuis le début du tournoi.",
        2,
        (),
    ),
    (
        "Culture",
        "Le Festival international du film de Marrakech dévoile sa sélection",
        "https://culture.example.ma/fifm-selection",
        "Quatorze films venus de douze pays concourront pour l’Étoile d’or. Le jury sera présidé cette "
        "année par une cinéaste sud-coréenne.",
        2,
        (),
    ),
]

_BRIEFS_FR = [
    (
        "Politique",
        "Nouvelle campagne de recensement électoral en janvier",
        "https://www.example-news.ma/b1",
        "Les inscriptions seront ouvertes en ligne et dans les préfectures.",
    ),
    (
        "Économie",
        "La Bourse de Casablanca termine la semaine en hausse de 1,2 %",
        "https://eco.example.ma/b2",
        "Les valeurs bancaires ont mené la progression.",
    ),
    (
        "Économie",
        "Un nouveau parc éolien inauguré près d’Essaouira",
        "https://eco.example.ma/b3",
        "Il alimentera l’équivalent de 400 000 foyers.",
    ),
    (
        "Société",
        "Vague de froid : les autorités appellent à la prudence dans l’Atlas",
        "https://soc.example.ma/b4",
        "Des chutes de neige sont attendues au-dessus de 1 500 mètres.",
    ),
    (
        "Société",
        "Rentrée universitaire : 20 000 places supplémentaires",
        "https://soc.example.ma/b5",
        "Trois nouvelles facultés ouvrent à Agadir, Oujda et Béni Mellal.",
    ),
    (
        "Sport",
        "Marathon de Rabat : record de participation",
        "https://sport.example.ma/b6",
        "Plus de 12 000 coureurs sont attendus dimanche.",
    ),
    (
        "Culture",
        "Réouverture du musée de la Kasbah de Tanger",
        "https://culture.example.ma/b7",
        "Après deux ans de travaux, les collections sont à nouveau visibles.",
    ),
]

_TOPS_EN = [
    (
        "World",
        "NATO envoy calls Morocco a key security partner",
        "https://news.example.com/nato-morocco",
        "The alliance's special representative praised practical cooperation against terrorism. "
        "Talks covered political, civil and military ties.",
        2,
    ),
    (
        "Business",
        "Consumer prices fall for a third straight month",
        "https://biz.example.com/inflation",
        "Fresh food drove the monthly decline. Annual inflation is now at its lowest since 2021.",
        3,
    ),
]


def french_edition(*, edition_id: int = 7, briefs: int | None = None) -> Edition:
    """A realistic French edition: six top stories in four sections and "En bref"."""
    items: list[EditionItem] = []
    for cat, title, url, summary, minutes, also in _TOPS_FR:
        items.append(EditionItem(len(items) + 1, ItemKind.TOP, cat, title, url, summary, minutes, also_read=also))
    pool = _BRIEFS_FR if briefs is None else [_BRIEFS_FR[i % len(_BRIEFS_FR)] for i in range(briefs)]
    for n, (cat, title, url, summary) in enumerate(pool):
        items.append(EditionItem(len(items) + 1, ItemKind.BRIEF, cat, title, f"{url}-{n}", summary, 1))
    return Edition(DAY, "fr", tuple(items), word_count=560, reading_minutes=3, newsletter="Le Brief", id=edition_id)


def english_edition(*, edition_id: int = 8) -> Edition:
    """A short English edition."""
    items = tuple(
        EditionItem(i + 1, ItemKind.TOP, cat, title, url, summary, minutes)
        for i, (cat, title, url, summary, minutes) in enumerate(_TOPS_EN)
    )
    return Edition(DAY, "en", items, word_count=70, reading_minutes=1, newsletter="Le Brief", id=edition_id)


def rich_edition(briefs: int = 400) -> Edition:
    """A day with far more "En bref" items than fit under Gmail's clipping size."""
    base = french_edition(briefs=0)
    items = list(base.items)
    for n in range(briefs):
        cat = ("Politique", "Économie", "Société", "Sport", "Culture")[n % 5]
        items.append(
            EditionItem(
                len(items) + 1,
                ItemKind.BRIEF,
                cat,
                f"Brève numéro {n} : un titre d’une longueur ordinaire pour une information du jour",
                f"https://news.example.ma/{cat.lower()}/2026/11/29/breve-{n}-un-titre-ordinaire",
                "Une phrase de résumé, assez longue pour ressembler à une vraie brève d’agence.",
                1,
            )
        )
    return Edition(DAY, "fr", tuple(items), word_count=9000, reading_minutes=45, newsletter="Le Brief", id=9)


@functools.cache
def private_key() -> rsa.RSAPrivateKey:
    """One 2048-bit RSA key for the whole test run (generating one takes ~50 ms)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem() -> bytes:
    """The test key as PKCS#8 PEM."""
    return private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def signer(domain: str = "lebrief.ma", selector: str = "brief2026") -> DkimSigner:
    """A signer with the test key."""
    return DkimSigner(domain=domain, selector=selector, private_key=private_key())


def dns_txt(signer_: DkimSigner):  # type: ignore[no-untyped-def]
    """A dkimpy ``dnsfunc`` answering the signer's TXT record, and nothing else."""
    record = signer_.public_record().encode("ascii")
    expected = f"{signer_.selector}._domainkey.{signer_.domain}.".encode("ascii")

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == expected else None

    return dnsfunc


def links() -> Links:
    """Signed links under the test base URL (60-day tokens)."""
    return Links(BASE_URL, Tokens(SECRET, max_age_seconds=60 * 86400))


def mail_settings(**overrides: str) -> MailSettings:
    """What [newsletter] would give: sender, postal address, one-click mailto."""
    values = {
        "newsletter": "Le Brief",
        "sender": "Le Brief <brief@lebrief.ma>",
        "postal_address": "12 boulevard d’Anfa, 20000 Casablanca, Maroc",
        "unsubscribe_mailto": "unsubscribe@lebrief.ma",
        "feedback_id": "lebrief",
        **overrides,
    }
    return MailSettings(**values)


def composer(*, signed: bool = True, **overrides: str) -> EditionComposer:
    """A composer with the test settings, DKIM-signing unless ``signed`` is False."""
    return EditionComposer(mail_settings(**overrides), links(), signer() if signed else None)


def b64(data: bytes) -> str:
    """Base64 text (for assertions on DKIM tags)."""
    return base64.b64encode(data).decode("ascii")
