# ClassCord : toutes les phrases qu'une personne lit, en français.
# Les valeurs sont remplies par src/texts/mod.rs ; les durées arrivent déjà écrites.

## Refus de requêtes

refused-line-too-long = Ligne de plus de { $max } octets : ignorée.
refused-nul-byte = Les caractères NUL ne sont pas acceptés.
refused-content-too-long = Message de plus de { $max } caractères : non envoyé.
refused-username-blank = Le nom d'utilisateur ne peut pas être vide.
refused-username-too-long = Le nom d'utilisateur dépasse { $max } caractères.
refused-username-invisible = Le nom d'utilisateur contient des caractères de contrôle ou invisibles.
refused-username-edge-spaces = Le nom d'utilisateur ne peut pas commencer ni finir par une espace.
refused-username-reserved = Ce nom d'utilisateur est réservé.
refused-username-marker = Le nom d'utilisateur ne peut pas contenir de parenthèses, crochets, accolades ni chevrons : le serveur les utilise pour marquer les enseignants et les invités.
refused-password-too-long = Mot de passe de plus de { $max } octets.
refused-password-too-short = { $min ->
    [one] Le mot de passe doit avoir au moins { $min } caractère.
   *[other] Le mot de passe doit avoir au moins { $min } caractères.
}
refused-state-blank = L'état ne peut pas être vide.
refused-state-too-long = L'état dépasse { $max } caractères.
refused-state-invisible = L'état contient des caractères de contrôle ou invisibles.
refused-channel-no-hash = Un nom de salon commence par « # ».
refused-channel-length = Un nom de salon a de 1 à 32 caractères après « # ».
refused-channel-characters = Un nom de salon ne contient que des lettres, des chiffres, « - » et « _ » (pas d'espace).
refused-connection-closed = Connexion fermée.
refused-not-logged-in = Vous n'êtes pas connecté : connectez-vous d'abord.
refused-storage = Erreur du serveur : réessayez plus tard.
refused-username-taken = Ce nom d'utilisateur existe déjà (already exists).
refused-no-free-guest-name = Plus aucun nom d'invité libre.
refused-registration-closed = Les inscriptions sont fermées : demandez votre compte à votre enseignant.
refused-guests-closed = Les invités ne sont pas acceptés : connectez-vous avec votre compte.
refused-login-failed = Nom d'utilisateur ou mot de passe incorrect.
refused-directory-unavailable = L'annuaire de l'établissement ne répond pas : réessayez dans un moment.
refused-login-banned = Connexion refusée : ce compte est banni.
refused-login-banned-because = Connexion refusée : ce compte est banni (raison : { $reason }).
refused-look-alike-online = Connexion refusée : une personne au nom qui se ressemble est connectée ; réessayez plus tard.
refused-already-logged-in = Déjà connecté : reconnectez-vous pour changer de compte.
refused-excluded-for = Vous avez été exclu par un enseignant : vous pourrez revenir dans { $duration }.
refused-excluded-until-lifted = Vous avez été exclu par un enseignant jusqu'à nouvel ordre : vous ne pouvez pas revenir.
refused-too-many-login-attempts = Trop de tentatives de connexion : attendez une minute.
refused-too-many-name-probes = Trop de tentatives : attendez une minute.
refused-too-many-pending-logins = Trop de connexions en même temps depuis cette adresse : réessayez dans un instant.
refused-too-many-reads = Trop de demandes d'historique : ralentissez.
refused-too-many-messages = Trop de messages : ralentissez.
refused-unfinished-line = Fermeture : une ligne est restée inachevée.
refused-identify-timeout = Fermeture : connectez-vous ou écrivez plus tôt après l'ouverture de la connexion.
refused-muted-for = Un enseignant vous a rendu muet (encore { $duration }) : votre message n'a pas été envoyé.
refused-muted-until-lifted = Un enseignant vous a rendu muet jusqu'à nouvel ordre : votre message n'a pas été envoyé.
refused-join-before-writing = Rejoignez { $channel } avant d'y écrire.
refused-channel-gone = Le salon { $channel } n'existe plus.
refused-user-offline = { $name } n'est pas connecté.
refused-private-to-self = Vous ne pouvez pas vous envoyer un message privé.
refused-private-only-to-teachers = Les messages privés entre élèves sont désactivés dans cet établissement : vous pouvez écrire en privé à un professeur, ou dans le salon.
refused-private-closed = Les messages privés sont désactivés dans cet établissement : écrivez dans le salon.
refused-leave-default = Tout le monde reste dans { $default }.
refused-not-in-channel = Vous n'êtes pas dans { $channel }.
refused-join-first = Rejoignez d'abord { $channel }.
refused-guests-cannot-create = Les invités ne créent pas de salon : rejoignez-en un qui existe, ou connectez-vous.
refused-server-channels-full = Le serveur a déjà ses { $max } salons.
refused-only-teachers-create = Seuls les enseignants créent des salons : rejoignez-en un qui existe (/salons les liste).
refused-own-channels-full = Vous avez créé { $count } salons, le maximum pour un compte.
refused-room-private = { $room } est privé : un enseignant doit vous inviter.
refused-room-moderated = { $room } est modéré : votre demande a été envoyée aux enseignants.
refused-default-room-stays-open = { $default } reste ouvert à tous.
refused-default-room-stays = { $default } ne peut pas être fermé.
refused-no-such-room = Aucun salon ne s'appelle { $room }.
refused-not-asked = { $name } n'a pas demandé à rejoindre { $room }.
refused-command-for-teachers = /{ $word } est réservé aux enseignants : rien n'a été fait.
refused-command-for-admins = /{ $word } est réservé aux administrateurs : rien n'a été fait.
refused-command-bounds = /{ $word } : { $problem }.
refused-usage = Utilisation : { $usage } ({ $problem }).
refused-only-from-chat-client = Seulement depuis un client de discussion : les salons concernent une connexion.
refused-nobody-unknown = { $name } n'est ni connecté ni un compte.
refused-nobody-not-online = { $name } n'est pas connecté.
refused-nobody-no-account = { $name } n'a pas de compte.
refused-nobody-not-muted = { $name } n'est pas muet.
refused-nobody-not-sanctioned = { $name } n'est ni banni ni exclu pour un temps.
refused-not-to-yourself = Vous ne pouvez pas faire cela à vous-même.
refused-outranks = { $name } est { $role } : seul un administrateur peut faire cela.
refused-empty-notice = L'annonce est vide.
refused-no-shutdown = Aucun arrêt n'est en cours.
refused-guest-not-member = { $name } est un invité : seuls les comptes sont membres d'un salon.

## Annonces

notice-muted = Un enseignant vous a rendu muet : vos messages ne seront pas envoyés.
notice-muted-for = Un enseignant vous a rendu muet pour { $duration } : vos messages ne seront pas envoyés.
notice-unmuted = Un enseignant vous a rendu la parole : vous pouvez écrire de nouveau.
notice-invited = Vous avez été invité dans { $room } : /rejoindre { $room } pour y entrer.
notice-request-refused = Votre demande pour rejoindre { $room } a été refusée.
notice-request-refused-because = Votre demande pour rejoindre { $room } a été refusée : { $reason }.
notice-join-request = { $name } demande à rejoindre { $room } : /accepter { $name } { $room } ou /refuser { $name } { $room }
notice-room-closed = { $room } a été fermé : vous êtes de retour dans { $default }.
notice-in-room = Vous êtes dans { $room } : vos messages y vont. /quitter pour revenir dans { $default }.
notice-kicked = Vous avez été expulsé du serveur par un enseignant.
notice-kicked-because = Vous avez été expulsé du serveur par un enseignant : { $reason }.
notice-kicked-for = Vous avez été expulsé du serveur par un enseignant pour { $duration }.
notice-kicked-for-because = Vous avez été expulsé du serveur par un enseignant pour { $duration } : { $reason }.
notice-banned-by-teacher = Vous avez été banni par un enseignant.
notice-banned-by-teacher-because = Vous avez été banni par un enseignant : { $reason }.
notice-banned-by-admin = Vous avez été banni par un administrateur.
notice-banned-by-admin-because = Vous avez été banni par un administrateur : { $reason }.
notice-account-banned = Compte banni par un administrateur.
notice-account-deleted = Compte supprimé par un administrateur.
notice-replaced = Connecté depuis une autre connexion.
notice-not-stored = Message non envoyé : le serveur n'a pas pu l'enregistrer.
notice-countdown = Arrêt du serveur dans { $seconds } s.
notice-countdown-message = Arrêt du serveur dans { $seconds } s. { $message }
notice-countdown-cancelled = Arrêt du serveur annulé.
notice-stopping = Le serveur s'arrête.

## Réponses aux commandes

answer-help = Commandes (//texte envoie un message qui commence par /) :
answer-help-line = { $usage } — { $summary }
answer-who = { $count } en ligne :
answer-who-guest = { $name } (invité)
answer-who-role = { $name } ({ $role })
answer-who-more = … et { $count } de plus
answer-rooms = Salons (/rejoindre #salon pour entrer, /quitter pour revenir) :
answer-rooms-line = { $room } ({ $mode }, { $count } présents)
answer-rooms-line-ask = { $room } ({ $mode }, { $count } présents, sur demande)
answer-members-room = { $room } ({ $mode })
answer-members = membres : { $list }
answer-members-online = présents : { $list }
answer-members-pending = demandes : { $list }
answer-list-nobody = personne
answer-list-more = { $list } et { $count } de plus
answer-in-default-room = Vous êtes dans { $default }.
answer-left-room = Vous avez quitté { $room } : vous êtes de retour dans { $default }.
answer-kicked = { $name } a été expulsé.
answer-kicked-for = { $name } a été expulsé pour { $duration }.
answer-kicked-for-guest = { $name } a été expulsé pour { $duration } (un invité : son adresse).
answer-banned = { $name } est banni (/debannir { $name } pour lever le bannissement).
answer-unbanned = { $name } peut revenir.
answer-muted = { $name } est muet.
answer-muted-for = { $name } est muet pour { $duration }.
answer-unmuted = { $name } peut de nouveau écrire.
answer-notice-sent = Annonce envoyée à tous.
answer-shutdown-in = Le serveur s'arrête dans { $seconds } s (/arret annuler pour l'empêcher).
answer-shutdown-cancelled = Arrêt annulé.
answer-accepted = { $name } a rejoint { $room }.
answer-rejected = La demande de { $name } pour { $room } a été refusée.
answer-invited = { $name } est maintenant membre de { $room }.
answer-room-created = { $room } créé ({ $mode }).
answer-room-mode-changed = { $room } est maintenant { $mode }.
answer-room-closed = { $room } fermé ; ses messages restent dans l'historique.

## Mots

role-user = élève
role-moderator = enseignant
role-admin = administrateur
mode-open = ouvert
mode-moderated = modéré
mode-private = privé

## Les commandes, comme /aide les liste

usage-help = /aide
summary-help = ce que vous pouvez faire
usage-who = /qui
summary-who = qui est connecté
usage-rooms = /salons
summary-rooms = les salons que vous pouvez rejoindre
usage-join = /rejoindre #salon
summary-join = faire d'un salon votre salon courant (ou demander à y entrer)
usage-leave = /quitter
summary-leave = revenir dans le salon principal
usage-pm = /pm NOM message
summary-pm = un message privé
usage-kick = /expulser NOM [DURÉE] [raison]
summary-kick = déconnecter ; avec une durée (10m, 2h, 1h30, 60 en secondes), pas de retour avant la fin
usage-ban = /bannir NOM [raison]
summary-ban = déconnecter et bannir (un invité : son adresse)
usage-unban = /debannir NOM
summary-unban = lever un bannissement ou une expulsion pour un temps
usage-mute = /muet NOM [DURÉE]
summary-mute = refuser ses messages (jusqu'à /parole sans durée)
usage-unmute = /parole NOM
summary-unmute = lui rendre la parole
usage-notice = /annonce TEXTE
summary-notice = une annonce à tous
usage-accept = /accepter NOM #salon
summary-accept = accepter une demande pour un salon modéré
usage-reject = /refuser NOM #salon [raison]
summary-reject = refuser une demande pour un salon modéré
usage-invite = /inviter NOM #salon
summary-invite = rendre quelqu'un membre d'un salon
usage-room = /salon creer #salon ouvert|modere|prive, /salon fermer #salon, /salon membres #salon
summary-room = créer, fermer ou lister un salon
usage-shutdown = /arret SECONDES [message], /arret annuler, /kill [SECONDES]
summary-shutdown = arrêter le serveur après un compte à rebours

## Lignes que le serveur n'a pas pu lire

line-invalid-json = JSON invalide (ligne { $line }, colonne { $column }).
line-nesting-too-deep = Le JSON est trop imbriqué.
line-not-an-object = Chaque ligne doit être un seul objet JSON.
line-missing-type = Il manque le champ « type ».
line-type-not-string = Le champ « type » doit être une chaîne.
line-unknown-type = Type de message inconnu : « { $kind } ».
line-invalid-command = Commande invalide : { $detail }.
line-private-needs-to = Un message privé a besoin d'un champ « to » (une chaîne).
line-unknown-subtype = Sous-type de message inconnu : « { $subtype } » (« global » ou « private »).
line-missing-field = Le message « { $kind } » a besoin du champ « { $field } » ({ $expected }).
line-wrong-type = Le champ « { $field } » du message « { $kind } » doit être { $expected }.
expected-string = une chaîne
expected-bool = true ou false
expected-integer = un entier positif

## Ce qui ne va pas dans les arguments d'une commande

usage-missing-name = il manque le NOM
usage-missing-room = il manque le salon
usage-missing-text = il manque le TEXTE
usage-missing-seconds = il manque les SECONDES
usage-missing-message = il manque le message
usage-not-a-duration = « { $text } » n'est pas une durée (écrivez 30s, 10m, 2h, 1h30 ou 1j)
usage-zero-duration = la durée doit être plus longue que zéro
usage-duration-too-long = la durée la plus longue est { $max }
usage-countdown-too-long = le compte à rebours le plus long est d'un jour
usage-only-duration-after-name = après le NOM, seulement une durée (comme 10m)
usage-only-name = seul un NOM est attendu
usage-only-name-and-room = seuls le NOM et le #salon sont attendus
usage-bad-mode = le mode est ouvert, modere ou prive
usage-nothing-after-mode = rien n'est attendu après le mode
usage-room-subcommand = creer, fermer ou membres, puis #salon

## Durées

duration-only-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
duration-only-hours = { $n ->
    [one] { $n } heure
   *[other] { $n } heures
}
duration-only-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
duration-only-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
}
duration-part-days = { $n } j
duration-part-hours = { $n } h
duration-part-minutes = { $n } min
duration-part-seconds = { $n } s

## Réponses courtes pour les anciens clients (un seul message quand il tient)

compact-help = Commandes : { $words } (//texte envoie un message qui commence par /).
compact-who = { $count } en ligne : { $list }
compact-rooms = Salons : { $list } (/rejoindre #salon pour entrer, /quitter pour revenir)
compact-rooms-none = Salons : aucun.
compact-room = { $room } ({ $mode }, { $count } présents)
compact-room-ask = { $room } ({ $mode }, { $count } présents, sur demande)
compact-members = { $room } ({ $mode }) : membres : { $members } ; présents : { $online } ; demandes : { $pending }

# Removing and reporting messages
usage-delete = /supprimer N [raison]
summary-delete = retirer le message n° N d'un salon (de l'historique et des écrans du web)
usage-purge = /effacer NOM [N] [raison]
summary-purge = retirer les N derniers messages de quelqu'un dans les salons (10 sans N)
usage-report = /signaler N [raison], /signaler NOM [raison]
summary-report = signaler un message aux enseignants (NOM : son dernier message)
usage-reports = /signalements
summary-reports = les derniers signalements
usage-missing-message-id = il manque le numéro du message
usage-missing-message-or-name = il manque le numéro du message ou le nom de la personne
usage-bad-count = le nombre de messages va de 1 à { $max }
refused-no-such-message = Aucun message n° { $id } ici.
refused-nothing-to-report = Aucun message de { $name } à signaler ici.
refused-too-many-reports = Vous avez déjà fait plusieurs signalements : les enseignants les ont reçus. Réessayez dans quelques minutes.
notice-reported = Signalement de { $reporter } : message n° { $id } de { $sender } dans { $room } : « { $excerpt } » (/supprimer { $id } pour le retirer)
notice-reported-because = Signalement de { $reporter } : message n° { $id } de { $sender } dans { $room } : « { $excerpt } », raison : { $reason } (/supprimer { $id } pour le retirer)
notice-reported-private = Signalement de { $reporter } : message privé n° { $id } de { $sender } : « { $excerpt } »
notice-reported-private-because = Signalement de { $reporter } : message privé n° { $id } de { $sender } : « { $excerpt } », raison : { $reason }
answer-deleted = Message n° { $id } de { $name } retiré.
answer-purged = { $count ->
    [0] Aucun message de { $name } à retirer.
    [one] 1 message de { $name } retiré.
   *[other] { $count } messages de { $name } retirés.
}
answer-report-sent = Merci : votre signalement a été transmis aux enseignants.
answer-reports = Derniers signalements :
answer-reports-none = Aucun signalement.
answer-reports-private = message privé
answer-reports-line = n° { $id } ({ $at }, { $place }) : { $reporter } signale { $sender } : « { $excerpt } »
answer-reports-line-because = n° { $id } ({ $at }, { $place }) : { $reporter } signale { $sender } : « { $excerpt } », raison : { $reason }
compact-reports = Signalements : { $list }

# Opening hours
refused-session-expired = Votre session a pris fin : identifiez-vous de nouveau avec votre mot de passe.
refused-sessions-off = Ce serveur ne garde pas les sessions : identifiez-vous avec votre mot de passe.
refused-session-needs-account = Une session se garde avec un compte : les invités s'identifient de nouveau.
refused-private-history-needs-account = Les messages privés ne se relisent qu'avec un compte.
refused-outside-hours = Les élèves ne peuvent pas écrire en dehors des horaires de l'établissement.
refused-outside-hours-when = Les élèves ne peuvent pas écrire en dehors des horaires de l'établissement : vous pourrez écrire de nouveau { $when }.
notice-hours-ended = Fin des horaires de l'établissement : les élèves peuvent lire mais plus écrire.
notice-hours-ended-when = Fin des horaires de l'établissement : les élèves peuvent lire mais plus écrire, jusqu'à { $when }.
reopening-today = aujourd'hui à { $time }
reopening-tomorrow = demain à { $time }
reopening-day = { $day } à { $time }
day-1 = lundi
day-2 = mardi
day-3 = mercredi
day-4 = jeudi
day-5 = vendredi
day-6 = samedi
day-7 = dimanche
