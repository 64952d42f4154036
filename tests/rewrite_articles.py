"""Eight French stories of one morning for the rewrite tests, each with a word of its
own in the headline (the test server's script keys) and figures and names to guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.models import Article

#: The edition date's nominal send time: 07:00 Africa/Casablanca (UTC+1) on 2026-11-29.
SEND_AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)

_STORIES = [
    (
        "Politique",
        "Budget de l'école : l'Assemblée adopte 2,4 milliards d'euros",
        "L'Assemblée nationale a adopté mardi un budget de l'école doté de 2,4 milliards d'euros supplémentaires. "
        "Le texte a recueilli 312 voix contre 198 après trois jours de débats.\n\n"
        "La ministre Anne Leclerc a salué « un effort historique pour les enseignants » devant les députés. "
        "Les syndicats attendent les décrets prévus en janvier avant de se prononcer.\n\n"
        "Le Sénat examinera le texte la semaine prochaine en commission.",
    ),
    (
        "Économie",
        "Port de Tanger : le trafic de conteneurs bondit de 14 %",
        "Le port de Tanger Med a traité 9,2 millions de conteneurs cette année, un trafic en hausse de 14 %. "
        "La direction attribue cette croissance aux nouvelles lignes ouvertes vers l'Amérique du Sud.\n\n"
        "Le directeur Karim Benali prévoit d'agrandir deux terminaux d'ici 2028. "
        "Les transporteurs saluent la fluidité des opérations malgré la saturation des quais.\n\n"
        "Les chiffres détaillés seront publiés en février par l'autorité portuaire.",
    ),
    (
        "Sport",
        "Marathon de Marrakech : record battu par Fatima Ouali",
        "L'athlète Fatima Ouali a remporté dimanche le marathon de Marrakech en 2 h 21 min, un record de l'épreuve. "
        "Plus de 8 000 coureurs ont pris le départ sous un ciel dégagé.\n\n"
        "La gagnante a devancé sa compatriote de près de quatre minutes au terme d'une course maîtrisée. "
        "Les organisateurs comptent doubler la dotation de l'épreuve l'an prochain.\n\n"
        "La prochaine édition est programmée fin janvier avec un parcours modifié.",
    ),
    (
        "Culture",
        "Festival de cinéma : Rabat accueille 120 films africains",
        "Le festival du cinéma africain de Rabat ouvre vendredi avec 120 films venus de 31 pays. "
        "La réalisatrice Awa Diallo préside le jury de cette quinzième édition.\n\n"
        "Les projections gratuites se tiendront dans six salles et sur une place du centre-ville. "
        "Les organisateurs attendent quarante mille spectateurs pendant la semaine.\n\n"
        "Un hommage sera rendu aux pionniers du cinéma marocain lors de la clôture.",
    ),
    (
        "Sciences",
        "Télescope solaire : l'observatoire de l'Oukaïmeden inauguré",
        "L'observatoire de l'Oukaïmeden a inauguré jeudi un télescope solaire financé à hauteur "
        "de 35 millions de dirhams. "
        "L'instrument permettra d'étudier les éruptions du Soleil avec une précision inédite.\n\n"
        "L'astronome Youssef Amrani dirige l'équipe de 17 chercheurs chargée des premières observations. "
        "Les données seront partagées avec plusieurs universités européennes.\n\n"
        "Des visites pour les écoles sont prévues à partir du printemps.",
    ),
    (
        "International",
        "Sommet climatique : accord sur un fonds de 300 milliards de dollars",
        "Les délégués du sommet climatique de Nairobi ont conclu samedi un accord sur un fonds "
        "de 300 milliards de dollars. "
        "Le texte prévoit des versements annuels aux pays les plus exposés d'ici 2035.\n\n"
        "La négociatrice kényane Grace Mwangi a parlé d'un compromis « fragile mais réel » après deux nuits blanches. "
        "Plusieurs pays insulaires jugent toutefois la somme insuffisante.\n\n"
        "Un premier bilan de l'accord sera dressé à la prochaine conférence.",
    ),
    (
        "Santé",
        "Vaccination antigrippale : la campagne prolongée jusqu'en février",
        "Le ministère de la Santé prolonge la campagne de vaccination antigrippale jusqu'au 28 février. "
        "Près de 1,3 million de doses ont déjà été administrées dans les centres de santé.\n\n"
        "Le docteur Samir Idrissi rappelle que les personnes âgées restent prioritaires. "
        "Les pharmacies pourront vacciner sans rendez-vous dès lundi.\n\n"
        "Un point d'étape sera publié à la mi-janvier par les autorités sanitaires.",
    ),
    (
        "Technologie",
        "Fibre optique : Casablanca raccorde 50 000 foyers en un an",
        "L'opérateur national a raccordé 50 000 foyers de Casablanca à la fibre optique en un an. "
        "Le déploiement doit atteindre les quartiers périphériques avant la fin de 2027.\n\n"
        "La directrice technique Leila Bennani promet des débits stables même aux heures de pointe. "
        "Les associations de consommateurs réclament des tarifs plus bas pour les familles modestes.\n\n"
        "Un nouveau centre de données ouvrira près de l'aéroport au printemps.",
    ),
]

#: A word of each story's headline (the test server's script keys), in story order.
KEYS = ("Budget", "Tanger", "Marathon", "Festival", "Télescope", "Sommet", "Vaccination", "Fibre")


def stories(*, injected: str = "") -> list[Article]:
    """The eight stories, published in the hours before :data:`SEND_AT`; ``injected``
    is added as a paragraph of the third story's body (text an attacker wrote)."""
    out = []
    for i, (category, title, body) in enumerate(_STORIES):
        if injected and i == 2:
            body = body.replace("\n\n", f"\n\n{injected}\n\n", 1)
        out.append(
            Article(
                url=f"https://news.example.org/{i}",
                title=title,
                body=body,
                published_at=SEND_AT - timedelta(hours=1 + i),
                language="fr",
                category=category,
                source="Example",
            )
        )
    return out
