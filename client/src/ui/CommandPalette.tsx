import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useT } from '../lib/context';
import { filterPalette, highlightRuns, moveActive, paletteItems, topPages, type PaletteItem, type PaletteKind } from '../lib/palette';
import { humanize } from '../lib/signals';
import { Badge, type Tone } from './Badge';

const PaletteQuery = graphql(`
  query Palette {
    vehicles {
      vin
      displayName
    }
    commandCatalogue {
      command
      description
    }
  }
`);

// its own query: an error here (Helix's part of the schema) must not cost the cars and commands
const PaletteHelixQuery = graphql(`
  query PaletteHelix {
    helix {
      enabled
    }
  }
`);

const KIND_TONE: Record<PaletteKind, Tone> = { page: 'neutral', car: 'success', command: 'info' };

export interface CommandPaletteProps {
  open: boolean;
  onClose: () => void;
}

/**
 * The command palette: a modal dialog with a combobox (the search field) controlling a listbox of cars,
 * pages and commands. The arrow keys move the active option (aria-activedescendant: focus stays in the
 * field), Enter opens it, Escape closes; focus goes back to where it was.
 */
export default function CommandPalette({ open, onClose }: CommandPaletteProps) {
  const t = useT();
  const navigate = useNavigate();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const returnFocus = useRef<Element | null>(null);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [{ data, error }] = useQuery({ query: PaletteQuery, pause: !open });
  const [helix] = useQuery({ query: PaletteHelixQuery, pause: !open });
  const helixOn = helix.data?.helix.enabled === true;

  const items = useMemo(
    () =>
      paletteItems({
        vehicles: data?.vehicles ?? [],
        commands: data?.commandCatalogue ?? [],
        pages: topPages({ helix: helixOn }),
        label: (key) => t(key),
        commandLabel: humanize,
        carWord: t('palette.carWord'),
      }),
    [data, helixOn, t],
  );
  const results = useMemo(() => filterPalette(items, query), [items, query]);
  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      returnFocus.current = document.activeElement;
      setQuery('');
      setActive(0);
      element.showModal();
      input.current?.focus();
    } else if (!open && element.open) {
      element.close();
      const back = returnFocus.current;
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    }
  }, [open]);

  // the active option stays in view as the arrow keys move it
  useEffect(() => {
    if (open) document.getElementById(`${id}-option-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [id, active, open]);

  function choose(item: PaletteItem | undefined) {
    if (!item) return;
    onClose();
    navigate(item.to);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        setActive((current) => moveActive(current, 1, results.length));
        break;
      case 'ArrowUp':
        event.preventDefault();
        setActive((current) => moveActive(current, -1, results.length));
        break;
      case 'PageDown':
        event.preventDefault();
        setActive((current) => Math.min(results.length - 1, current + 8));
        break;
      case 'PageUp':
        event.preventDefault();
        setActive((current) => Math.max(0, current - 8));
        break;
      case 'Enter':
        event.preventDefault();
        choose(results[active]?.item);
        break;
      case 'Escape':
        event.preventDefault();
        onClose();
        break;
    }
  }

  const activeResult = results[active];
  return (
    <dialog
      ref={dialog}
      role="dialog"
      aria-modal="true"
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // a tap on the backdrop (the dialog element itself, outside its panel) closes it
        if (event.target === dialog.current) onClose();
      }}
      className="mx-auto mt-[8vh] w-[calc(100%-1.5rem)] max-w-xl rounded-lg p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/60 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="flex flex-col">
        <div className="flex items-center gap-2 border-b border-slate-200 p-3 dark:border-slate-700">
          <h2 id={`${id}-title`} className="sr-only">
            {t('palette.title')}
          </h2>
          <label htmlFor={`${id}-input`} className="sr-only">
            {t('palette.input')}
          </label>
          <input
            ref={input}
            id={`${id}-input`}
            type="text"
            role="combobox"
            aria-expanded="true"
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={activeResult ? optionId(active) : undefined}
            aria-describedby={`${id}-hint`}
            autoComplete="off"
            spellCheck={false}
            placeholder={t('palette.placeholder')}
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
            className="min-w-0 flex-1 rounded-md border border-slate-400 bg-white px-3 py-2 text-base text-slate-900 placeholder:text-slate-500 dark:border-slate-600 dark:bg-slate-950 dark:text-slate-100"
          />
          <button
            type="button"
            onClick={onClose}
            className="min-h-10 rounded-md px-3 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800"
          >
            {t('palette.close')}
          </button>
        </div>
        <ul id={listId} role="listbox" aria-label={t('palette.title')} className="max-h-[60vh] overflow-y-auto p-2">
          {results.map(({ item, indices }, index) => (
            <li
              key={item.id}
              id={optionId(index)}
              role="option"
              aria-selected={index === active}
              data-to={item.to}
              // keep the focus in the field: the list is driven from there
              onMouseDown={(event) => event.preventDefault()}
              onMouseMove={() => index !== active && setActive(index)}
              onClick={() => choose(item)}
              className={`flex cursor-pointer flex-wrap items-center gap-x-2 gap-y-1 rounded-md px-3 py-2 text-sm ${
                index === active ? 'bg-blue-700 text-white dark:bg-blue-600' : 'text-slate-800 dark:text-slate-200'
              }`}
            >
              <Badge tone={KIND_TONE[item.kind]}>{t(`palette.kind.${item.kind}`)}</Badge>
              <span className="font-medium">
                {highlightRuns(item.label, indices).map((run, i) =>
                  run.hit ? (
                    <mark key={i} className="bg-transparent font-bold text-inherit underline decoration-2 underline-offset-2">
                      {run.text}
                    </mark>
                  ) : (
                    <span key={i}>{run.text}</span>
                  ),
                )}
              </span>
              {item.context && <span className={index === active ? 'text-blue-100' : 'text-slate-600 dark:text-slate-400'}>· {item.context}</span>}
            </li>
          ))}
        </ul>
        {results.length === 0 && <p className="px-5 pb-4 text-sm text-slate-700 dark:text-slate-300">{t('palette.none')}</p>}
        {error && !data && <p className="px-5 pb-2 text-sm text-red-700 dark:text-red-400">{t('palette.partial')}</p>}
        <p aria-live="polite" className="sr-only">
          {t('palette.results', { count: results.length })}
        </p>
        <p id={`${id}-hint`} className="hidden border-t border-slate-200 px-4 py-2 text-xs text-slate-600 sm:block dark:border-slate-700 dark:text-slate-400">
          {t('palette.hint')}
        </p>
      </div>
    </dialog>
  );
}
