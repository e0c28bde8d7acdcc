import { useCallback, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useSettings, useT } from '../lib/context';
import { formatCoordinates } from '../lib/format';
import { circleBounds, locationOf, type LatLon } from '../lib/geo';
import { draftCircle, emptyGeofenceValues, geofenceValues, positionValues, type GeofenceValues } from '../lib/geofenceForm';
import { toSignalMap } from '../lib/signals';
import { ApiError } from '../ui/ApiError';
import { Card } from '../ui/Card';
import { PageHeader } from '../ui/Layout';
import { MapView, type MapCircle, type MapMarker } from '../ui/map/MapView';
import { Loading, Notice } from '../ui/Notice';
import { GeofenceForm, GeofenceList, type Geofence } from './places/GeofenceEditor';
import { TariffForm, TariffList, type Tariff } from './places/TariffEditor';

const PlacesQuery = graphql(`
  query PlacesPage {
    me {
      scopes
    }
    geofences {
      id
      name
      latitude
      longitude
      radiusM
      tariff {
        id
        name
        currency
      }
    }
    tariffs {
      id
      name
      currency
      timezone
      pricePerKwh
      pricePerMinute
      sessionFee
      freeSupercharging
      windows {
        weekdays
        start
        end
        pricePerKwh
        pricePerMinute
      }
    }
    vehicles {
      vin
      displayName
      signals(names: ["Location"]) {
        name
        value
        at
      }
    }
  }
`);

/** Geofences (named circles that price the charging inside them) and tariffs: administrators edit, others read. */
export default function Places() {
  const t = useT();
  const { settings } = useSettings();
  const [{ data, fetching, error }, refetch] = useQuery({ query: PlacesQuery });
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  const [values, setValues] = useState<GeofenceValues>(emptyGeofenceValues);
  const [editing, setEditing] = useState<Geofence | null>(null);
  const [editingTariff, setEditingTariff] = useState<Tariff | null>(null);
  const [mapCenter, setMapCenter] = useState<LatLon | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [picked, setPicked] = useState<string | null>(null);

  const canEdit = data?.me.scopes.includes('ADMIN') ?? false;
  const geofences = data?.geofences;
  const tariffs = data?.tariffs;

  const circles = useMemo((): MapCircle[] => {
    const shown: MapCircle[] = (geofences ?? [])
      .filter((g) => g.id !== editing?.id)
      .map((g) => ({ id: g.id, center: { latitude: g.latitude, longitude: g.longitude }, radiusM: g.radiusM, label: g.name, kind: 'geofence' }));
    const draft = draftCircle(values);
    if (draft) shown.push({ id: editing?.id ?? 'new', ...draft, label: values.name.trim() || undefined, kind: editing ? 'selected' : 'draft' });
    return shown;
  }, [geofences, editing, values]);

  const cars = useMemo(
    (): MapMarker[] =>
      (data?.vehicles ?? []).flatMap((v) => {
        const position = locationOf(toSignalMap(v.signals).Location?.value);
        return position ? [{ id: v.vin, position, kind: 'place' as const, label: v.displayName || v.vin }] : [];
      }),
    [data?.vehicles],
  );

  const pick = useCallback(
    (position: LatLon) => {
      setValues((previous) => ({ ...previous, ...positionValues(position) }));
      setPicked(t('places.picked', { position: formatCoordinates(position.latitude, position.longitude, settings.locale) }));
    },
    [t, settings.locale],
  );

  const startEdit = (fence: Geofence) => {
    setEditing(fence);
    setValues(geofenceValues(fence));
    setMessage(null);
    setPicked(null);
    // the form is where the work goes on: its first field takes the focus
    setTimeout(() => document.querySelector<HTMLInputElement>('[data-geofence-form] input')?.focus(), 0);
  };
  const stopEdit = () => {
    setEditing(null);
    setValues(emptyGeofenceValues());
    setPicked(null);
  };
  const done = (text: string) => {
    setMessage(text);
    stopEdit();
    reload();
  };

  const fitBounds = editing ? circleBounds({ center: editing, radiusM: editing.radiusM }) : undefined;
  return (
    <>
      <PageHeader title={t('places.title')} />
      {error && <ApiError error={error} retry={reload} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !canEdit && (
        <div className="mb-4">
          <Notice>{t('places.readOnly')}</Notice>
        </div>
      )}
      {message && (
        <div className="mb-4">
          <Notice tone="success">{message}</Notice>
        </div>
      )}
      {data && (
        <div className="grid gap-4 lg:grid-cols-3">
          <Card title={t('places.map')} className="lg:col-span-2">
            <MapView
              label={t('places.mapLabel', { count: data.geofences.length })}
              testId="places-map"
              circles={circles}
              markers={cars}
              fitKey={editing ? `edit-${editing.id}` : 'all'}
              fitBounds={fitBounds}
              onPick={canEdit ? pick : undefined}
              onCenterChange={setMapCenter}
              showCenter={canEdit}
              heightClass="h-80 sm:h-[28rem]"
              caption={
                <p>
                  {t('places.mapCaption', { count: data.geofences.length })}
                  {mapCenter && ` ${t('places.centreValue', { position: formatCoordinates(mapCenter.latitude, mapCenter.longitude, settings.locale) })}`}
                </p>
              }
            />
          </Card>
          {canEdit ? (
            <Card>
              <div data-geofence-form className="contents">
                <GeofenceForm
                  key={editing?.id ?? 'new'}
                  values={values}
                  onChange={setValues}
                  editing={editing}
                  tariffs={data.tariffs}
                  mapCenter={mapCenter}
                  onSaved={done}
                  onCancel={stopEdit}
                />
              </div>
              <p role="status" className="mt-2 text-sm text-slate-600 dark:text-slate-400">
                {picked}
              </p>
            </Card>
          ) : null}
          <Card title={t('places.list')} className={canEdit ? 'lg:col-span-3' : ''}>
            <GeofenceList
              geofences={data.geofences}
              canEdit={canEdit}
              editingId={editing?.id ?? null}
              onEdit={startEdit}
              onDeleted={(text) => {
                if (editing) stopEdit();
                setMessage(text);
                reload();
              }}
            />
          </Card>
          <Card title={t('tariffs.title')} className="lg:col-span-3">
            <div className="grid gap-6 lg:grid-cols-2">
              <TariffList
                tariffs={tariffs ?? []}
                canEdit={canEdit}
                editingId={editingTariff?.id ?? null}
                onEdit={(tariff) => {
                  setEditingTariff(tariff);
                  setMessage(null);
                }}
                onDeleted={(text) => {
                  setEditingTariff(null);
                  setMessage(text);
                  reload();
                }}
              />
              {canEdit && (
                <TariffForm
                  key={editingTariff?.id ?? 'new'}
                  editing={editingTariff}
                  onSaved={(text) => {
                    setEditingTariff(null);
                    setMessage(text);
                    reload();
                  }}
                  onCancel={() => setEditingTariff(null)}
                />
              )}
            </div>
          </Card>
        </div>
      )}
    </>
  );
}
